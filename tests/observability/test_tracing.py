"""One order placement is one trace; the trace context survives every boundary."""

from decimal import Decimal
from uuid import uuid4

import pytest
from django.db import connections
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from app import propagation
from app.events.consumer import Consumer
from app.events.envelope import Envelope
from app.observability.calls import observe_contract
from app.observability.tracing import TracePropagator
from contracts.kernel.errors import NotFoundError
from contracts.kernel.subscriptions import Subscription
from contracts.orders.events import OrderPlacedLineV1, OrderPlacedV1

tracer = trace.get_tracer(__name__)

# The order saga from the request to the captured payment: every command and answer is one
# publish -> handle hop (in-process: no relay span), nested under the hop that caused it.
SAGA_HOPS = (
    ("orders.OrderPlacedV1", "notifications.order_received"),
    ("inventory.ReserveStockV1", "inventory.reserve_stock"),
    ("inventory.StockReservedV1", "orders.saga_stock_reserved"),
    ("payments.AuthorizePaymentV1", "payments.authorize"),
    ("payments.PaymentAuthorizedV1", "orders.saga_payment_authorized"),
    ("orders.OrderConfirmedV1", "notifications.order_confirmed"),
    ("payments.CapturePaymentV1", "payments.capture"),
    ("payments.PaymentCapturedV1", "orders.saga_payment_captured"),
)
ORDER_PLACEMENT_SPANS = {
    "POST api/orders",
    "contract inventory.get_prices",
    *(
        f"events.{kind} {name}"
        for message, subscriber in SAGA_HOPS
        for kind, name in (("publish", message), ("handle", subscriber))
    ),
}


def traceparent_of(span: trace.Span) -> str:
    context = span.get_span_context()
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_one_order_placement_is_one_trace_covering_request_publish_relay_and_each_handler(
    spans, catalogue, place
) -> None:
    spans.clear()
    assert place().status_code == 201
    finished = spans.get_finished_spans()
    queries = [span for span in finished if any(key.startswith("db.") for key in span.attributes or {})]
    assert {span.name for span in finished if span not in queries} >= ORDER_PLACEMENT_SPANS
    assert len({span.context.trace_id for span in finished}) == 1
    [root] = [span for span in finished if span.parent is None]
    assert (root.name, root.kind) == ("POST api/orders", SpanKind.SERVER)
    by_id = {span.context.span_id: span for span in finished}
    parent = {span.name: by_id[span.parent.span_id].name for span in finished if span.parent}
    # causally nested: each handler under its message's publish, under the handler (or request)
    # that published it
    for message, subscriber in SAGA_HOPS:
        assert parent[f"events.handle {subscriber}"] == f"events.publish {message}"
    assert parent["events.publish inventory.ReserveStockV1"] == "POST api/orders"
    assert parent["events.publish inventory.StockReservedV1"] == "events.handle inventory.reserve_stock"
    assert parent["events.publish payments.AuthorizePaymentV1"] == "events.handle orders.saga_stock_reserved"
    kinds = {span.name.split(" ")[0]: span.kind for span in finished}
    assert (kinds["events.publish"], kinds["events.handle"]) == (SpanKind.PRODUCER, SpanKind.CONSUMER)


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_the_event_systems_own_statements_make_no_query_spans_but_handlers_do(spans, catalogue, place) -> None:
    """Outbox, deliveries and inbox statements are accounted for by the events.* spans (and the
    relay's polls would otherwise each be a trace); what a handler queries is still traced."""
    if connections["orders"].vendor != "postgresql":
        pytest.skip("only PostgreSQL's driver is instrumented: run with DATABASE_URL=postgres://...")
    spans.clear()
    assert place().status_code == 201
    statements = [
        str(span.attributes.get("db.statement", span.attributes.get("db.query.text", "")))
        for span in spans.get_finished_spans()
        if any(key.startswith("db.") for key in span.attributes or {})
    ]
    assert any("orders_order" in statement for statement in statements)  # the saga's own writes
    assert not [statement for statement in statements if '"events_' in statement]


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_a_delivery_outside_any_trace_continues_the_trace_captured_at_publish(spans) -> None:
    """As in a Celery worker or the relay process: nothing current, the envelope says where."""
    seen: list[tuple[int, str | None]] = []

    def handler(event: OrderPlacedV1) -> None:
        from app.observability.logging import current_correlation_id

        seen.append((trace.get_current_span().get_span_context().trace_id, current_correlation_id()))

    with tracer.start_as_current_span("publisher") as publisher:
        headers = {**propagation.capture(), "correlation_id": "corr-1"}
    consumer = Consumer(alias_for_module=lambda module: module, max_attempts=3)
    subscription = Subscription(id="notifications.probe", event_type=OrderPlacedV1, handler=handler)
    assert consumer.process(Envelope(data=placed(), headers=headers), subscription) == "done"

    [(trace_id, correlation_id)] = seen
    assert (trace_id, correlation_id) == (publisher.get_span_context().trace_id, "corr-1")
    [handled] = [span for span in spans.get_finished_spans() if span.name == "events.handle notifications.probe"]
    assert handled.parent is not None
    assert handled.parent.span_id == publisher.get_span_context().span_id
    assert handled.attributes["events.outcome"] == "done"


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_a_celery_task_runs_its_handler_in_the_trace_of_the_publish(spans, settings) -> None:
    from app.events.tasks import deliver

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with tracer.start_as_current_span("publisher") as publisher:
        headers = propagation.capture()
    wire = Envelope(data=placed(), headers=headers).to_wire()
    assert deliver.apply(args=(wire, "notifications.order_received")).get() == "done"
    [handled] = [s for s in spans.get_finished_spans() if s.name == "events.handle notifications.order_received"]
    assert handled.context.trace_id == publisher.get_span_context().trace_id


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_a_celery_task_handles_under_the_relay_span_that_sent_it(spans, settings) -> None:
    """The relay's send span travels as the task's headers; no Celery span in between."""
    from app.events.tasks import deliver
    from app.observability.tracing import trace_headers

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with tracer.start_as_current_span("publisher"):
        headers = propagation.capture()
        with tracer.start_as_current_span("relay send") as relay_send:  # in the publish's trace
            sent_by = trace_headers()
    wire = Envelope(data=placed(), headers=headers).to_wire()
    assert deliver.apply(args=(wire, "notifications.order_received"), headers=sent_by).get() == "done"
    [handled] = [s for s in spans.get_finished_spans() if s.name == "events.handle notifications.order_received"]
    assert handled.parent is not None
    assert handled.parent.span_id == relay_send.get_span_context().span_id
    assert not [s for s in spans.get_finished_spans() if "events.deliver" in s.name]  # no Celery instrumentation


def test_the_propagator_captures_the_current_span_as_w3c_headers(spans) -> None:
    assert TracePropagator().capture() == {}
    with tracer.start_as_current_span("caller") as span:
        assert TracePropagator().capture()["traceparent"] == traceparent_of(span)


def test_restoring_makes_the_captured_span_the_parent(spans) -> None:
    with tracer.start_as_current_span("remote caller") as caller:
        headers = TracePropagator().capture()
    with TracePropagator().restore(headers), tracer.start_as_current_span("served") as served:
        assert served.get_span_context().trace_id == caller.get_span_context().trace_id
    [finished] = [span for span in spans.get_finished_spans() if span.name == "served"]
    assert finished.parent is not None
    assert finished.parent.span_id == caller.get_span_context().span_id


def test_restoring_inside_the_same_trace_keeps_the_nearer_parent(spans) -> None:
    with tracer.start_as_current_span("publish") as publish:
        headers = TracePropagator().capture()
        with (
            tracer.start_as_current_span("handler span") as nearer,
            TracePropagator().restore(headers),
            tracer.start_as_current_span("inside"),
        ):
            pass
    [inside] = [span for span in spans.get_finished_spans() if span.name == "inside"]
    assert inside.parent is not None
    assert inside.parent.span_id == nearer.get_span_context().span_id != publish.get_span_context().span_id


@pytest.mark.parametrize(
    "headers", [{}, {"traceparent": "garbage"}, {"traceparent": "00-" + "0" * 32 + "-" + "0" * 16 + "-01"}]
)
def test_restoring_without_a_valid_traceparent_changes_nothing(headers) -> None:
    with TracePropagator().restore(headers):
        assert not trace.get_current_span().get_span_context().is_valid


class Prices:
    def get_prices(self, *, skus: tuple[str, ...]) -> tuple[str, ...]:
        if "missing" in skus:
            raise NotFoundError("no such product")
        if "broken" in skus:
            raise RuntimeError("database gone")
        return skus


def test_a_contract_call_in_a_trace_is_a_span_and_keeps_the_implementation_type(spans) -> None:
    from contracts.inventory.interface import InventoryInterface

    observed = observe_contract(Prices(), interface=InventoryInterface, contract="inventory", binding="in-process")
    assert type(observed) is Prices
    with tracer.start_as_current_span("request"):
        assert observed.get_prices(skus=("KB",)) == ("KB",)
        with pytest.raises(NotFoundError):
            observed.get_prices(skus=("missing",))
        with pytest.raises(RuntimeError):
            observed.get_prices(skus=("broken",))
    calls = [span for span in spans.get_finished_spans() if span.name == "contract inventory.get_prices"]
    assert [span.status.status_code for span in calls] == [StatusCode.UNSET, StatusCode.UNSET, StatusCode.ERROR]
    assert calls[0].attributes is not None
    assert calls[0].attributes["contract.binding"] == "in-process"


def test_a_contract_call_outside_any_trace_starts_no_trace(spans) -> None:
    from contracts.inventory.interface import InventoryInterface

    observed = observe_contract(Prices(), interface=InventoryInterface, contract="inventory", binding="in-process")
    assert observed.get_prices(skus=("KB",)) == ("KB",)
    assert spans.get_finished_spans() == ()


def placed() -> OrderPlacedV1:
    return OrderPlacedV1(
        order_id=uuid4(),
        customer_email="ann@example.com",
        total=Decimal("89.00"),
        lines=(OrderPlacedLineV1(sku="KB", quantity=1, unit_price=Decimal("89.00")),),
    )
