"""Orders' services on its own database: placing starts the saga, each answer is one transition
that records its steps, sends the next command and moves the order, all in one commit."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from contracts.inventory.commands import ReleaseStockV1, ReserveStockV1, StockLineV1
from contracts.inventory.errors import UnknownSkusError
from contracts.kernel.commands import command_id_for
from contracts.orders.errors import OrderNotCancellableError, SagaNotStuckError
from contracts.orders.events import OrderCancelledV1, OrderConfirmedV1, OrderPlacedV1, OrderRejectedV1
from contracts.payments.commands import AuthorizePaymentV1, CapturePaymentV1, VoidPaymentV1
from modules.orders import services
from modules.orders.domain.saga import Outcome, Reply, Step
from modules.orders.models import Order, OrderSaga

pytestmark = pytest.mark.django_db(databases=["orders"])

LINES = (services.LineRequest(sku="KB", quantity=2), services.LineRequest(sku="MS", quantity=1))


def place() -> Order:
    return services.order_place(customer_email="a@example.com", lines=LINES)


def answer(order: Order, step: Step, outcome: Outcome = Outcome.SUCCEEDED, detail: str = "") -> Order:
    services.saga_handle_reply(
        order_id=order.id,
        command_id=command_id_for(process_id=order.id, step=step.value),
        reply=Reply(step=step, outcome=outcome, detail=detail),
    )
    return Order.objects.get(id=order.id)


def steps(order: Order) -> list[tuple[str, str]]:
    return [(s.name, s.status) for s in OrderSaga.objects.get(order_id=order.id).steps.all()]


def test_placing_prices_through_inventory_announces_the_order_and_asks_for_stock(inventory, published, sent) -> None:
    order = place()
    assert (order.status, order.total) == ("PENDING", Decimal("22.50"))
    assert [type(e) for e in published.events] == [OrderPlacedV1]
    assert sent.commands == [
        ReserveStockV1(
            command_id=command_id_for(process_id=order.id, step="reserve_stock"),
            order_id=order.id,
            lines=(StockLineV1(sku="KB", quantity=2), StockLineV1(sku="MS", quantity=1)),
        )
    ]
    assert sent.senders == ["orders"]
    assert steps(order) == [("reserve_stock", "STARTED")]
    deadline = OrderSaga.objects.get().deadline_at
    assert deadline is not None
    assert deadline > timezone.now()


def test_an_unknown_sku_writes_nothing_and_sends_nothing(inventory, published, sent) -> None:
    with pytest.raises(UnknownSkusError):
        services.order_place(customer_email="a@example.com", lines=(*LINES, services.LineRequest(sku="ZZ", quantity=1)))
    assert (Order.objects.count(), OrderSaga.objects.count(), published.events, sent.commands) == (0, 0, [], [])


def test_the_happy_path_confirms_then_captures(inventory, published, sent) -> None:
    order = answer(place(), Step.RESERVE_STOCK)
    [authorize] = sent.of_type(AuthorizePaymentV1)
    assert (authorize.amount, authorize.currency, authorize.customer_email) == (
        Decimal("22.50"),
        "EUR",
        "a@example.com",
    )
    order = answer(order, Step.AUTHORIZE_PAYMENT, detail="auth_1")
    assert order.status == "CONFIRMED"
    assert len(published.of_type(OrderConfirmedV1)) == 1
    assert len(sent.of_type(CapturePaymentV1)) == 1
    order = answer(order, Step.CAPTURE_PAYMENT)
    saga = OrderSaga.objects.get()
    assert (saga.state, saga.deadline_at) == ("COMPLETED", None)
    assert steps(order) == [
        ("reserve_stock", "SUCCEEDED"),
        ("authorize_payment", "SUCCEEDED"),
        ("confirm_order", "SUCCEEDED"),
        ("capture_payment", "SUCCEEDED"),
    ]


def test_a_duplicate_answer_changes_nothing_and_sends_nothing(inventory, published, sent) -> None:
    order = answer(answer(place(), Step.RESERVE_STOCK), Step.AUTHORIZE_PAYMENT)
    before = (len(sent.commands), len(published.events), OrderSaga.objects.get().updated_at)
    answer(order, Step.AUTHORIZE_PAYMENT)
    answer(order, Step.RESERVE_STOCK)
    assert (len(sent.commands), len(published.events), OrderSaga.objects.get().updated_at) == before


def test_an_answer_to_someone_elses_command_is_ignored(inventory, published, sent) -> None:
    order = place()
    services.saga_handle_reply(
        order_id=order.id,
        command_id=command_id_for(process_id=order.id, step="something else"),
        reply=Reply(step=Step.RESERVE_STOCK, outcome=Outcome.SUCCEEDED),
    )
    assert OrderSaga.objects.get().step == "reserve_stock"


def test_a_declined_payment_releases_the_stock_then_rejects_with_the_reason(inventory, published, sent) -> None:
    order = answer(answer(place(), Step.RESERVE_STOCK), Step.AUTHORIZE_PAYMENT, Outcome.FAILED, "card declined")
    assert (order.status, len(sent.of_type(ReleaseStockV1))) == ("PENDING", 1)
    order = answer(order, Step.RELEASE_STOCK)
    assert (order.status, order.status_reason) == ("REJECTED", "card declined")
    [rejected] = published.of_type(OrderRejectedV1)
    assert rejected.reason == "card declined"


def test_a_queued_payment_shows_on_the_order_until_it_is_authorized(inventory, published, sent) -> None:
    order = answer(answer(place(), Step.RESERVE_STOCK), Step.AUTHORIZE_PAYMENT, Outcome.QUEUED, "provider down")
    assert order.status == "PAYMENT_QUEUED"
    deadline = OrderSaga.objects.get().deadline_at
    assert deadline is not None
    assert deadline > timezone.now() + timedelta(minutes=5)
    assert answer(order, Step.AUTHORIZE_PAYMENT).status == "CONFIRMED"


def test_cancelling_after_authorization_voids_then_releases_then_cancels(inventory, published, sent) -> None:
    order = answer(answer(place(), Step.RESERVE_STOCK), Step.AUTHORIZE_PAYMENT)
    services.order_cancel(order_id=order.id)
    assert len(sent.of_type(VoidPaymentV1)) == 1
    order = answer(answer(order, Step.VOID_PAYMENT), Step.RELEASE_STOCK)
    assert (order.status, order.status_reason) == ("CANCELLED", "cancelled by the customer")
    assert len(published.of_type(OrderCancelledV1)) == 1


def test_a_captured_order_cannot_be_cancelled(inventory, published, sent) -> None:
    order = answer(answer(answer(place(), Step.RESERVE_STOCK), Step.AUTHORIZE_PAYMENT), Step.CAPTURE_PAYMENT)
    with pytest.raises(OrderNotCancellableError):
        services.order_cancel(order_id=order.id)
    assert Order.objects.get().status == "CONFIRMED"


def test_a_passed_deadline_resends_the_same_command_then_compensates(inventory, published, sent, settings) -> None:
    settings.SAGA_MAX_RESENDS = 1
    order = place()
    later = timezone.now() + timedelta(seconds=settings.SAGA_STEP_TIMEOUT + 1)
    assert services.saga_sweep_deadlines(now=later) == 1
    first, again = sent.of_type(ReserveStockV1)
    assert first == again  # same command id: inventory recognises it
    assert services.saga_sweep_deadlines(now=timezone.now()) == 0  # a new deadline was set
    services.saga_sweep_deadlines(now=later + timedelta(seconds=settings.SAGA_STEP_TIMEOUT + 1))
    assert len(sent.of_type(ReleaseStockV1)) == 1
    assert answer(order, Step.RELEASE_STOCK).status == "REJECTED"
    assert [s.attempts for s in OrderSaga.objects.get().steps.filter(name="reserve_stock")] == [2]


def test_a_stuck_capture_needs_an_operator_who_retries_it(inventory, published, sent, settings) -> None:
    settings.SAGA_MAX_RESENDS = 0
    order = answer(answer(place(), Step.RESERVE_STOCK), Step.AUTHORIZE_PAYMENT)
    services.saga_sweep_deadlines(now=timezone.now() + timedelta(seconds=settings.SAGA_STEP_TIMEOUT + 1))
    assert OrderSaga.objects.get().state == "NEEDS_ATTENTION"
    services.saga_retry(order_id=order.id)
    assert (OrderSaga.objects.get().state, len(sent.of_type(CapturePaymentV1))) == ("RUNNING", 2)
    with pytest.raises(SagaNotStuckError):
        services.saga_retry(order_id=order.id)
