"""/metrics: the Prometheus text format, with the families issue 7 names, fed by real traffic."""

from decimal import Decimal
from uuid import uuid4

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.bootstrap import runtime
from app.events.consumer import Consumer
from app.events.envelope import Envelope
from contracts.kernel.subscriptions import Subscription
from contracts.orders.events import OrderPlacedLineV1, OrderPlacedV1

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)

FAMILIES = {
    "http_requests",
    "http_request_duration_seconds",
    "contract_calls",
    "contract_call_duration_seconds",
    "events_published",
    "events_delivered",
    "events_dead_lettered",
    "events_outbox_lag_seconds",
    "events_outbox_pending",
    "events_dead_letters",
    "circuit_breaker_state",
}


Samples = dict[str, dict[tuple[tuple[str, str], ...], float]]


def scrape(client) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        found = samples.setdefault(family.name, {})
        for sample in family.samples:
            if sample.name in (family.name, f"{family.name}_total", f"{family.name}_count"):
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, family: str, **labels: str) -> float:
    return samples[family].get(tuple(sorted(labels.items())), 0.0)


def test_after_an_order_every_named_family_is_exposed_with_its_samples(client, catalogue, place) -> None:
    runtime().targets.get("probe-service")  # a breaker, so that its state is exposed
    before = scrape(client)
    assert place().status_code == 201
    after = scrape(client)

    assert set(after) >= FAMILIES

    def grew(family: str, **labels: str) -> float:
        return value(after, family, **labels) - value(before, family, **labels)

    assert grew("http_requests", method="POST", route="api/orders", status="201") == 1
    assert grew("http_request_duration_seconds", method="POST", route="api/orders") == 1
    contract = {"contract": "inventory", "method": "get_prices", "binding": "in-process"}
    assert grew("contract_calls", **contract, outcome="ok") == 1
    assert grew("contract_call_duration_seconds", **contract) == 1
    assert grew("events_published", event_type="orders.OrderPlacedV1") == 1
    assert (
        grew(
            "events_delivered",
            event_type="inventory.ReserveStockV1",
            subscriber="inventory.reserve_stock",
            outcome="done",
        )
        == 1
    )
    assert value(after, "events_outbox_lag_seconds", alias="orders") == 0
    assert value(after, "events_outbox_pending", alias="orders") == 0
    assert value(after, "circuit_breaker_state", target="probe-service", state="closed") == 1
    assert value(after, "circuit_breaker_state", target="probe-service", state="open") == 0


def test_a_dead_letter_is_counted(client) -> None:
    def broken(event: OrderPlacedV1) -> None:
        raise ConnectionError("smtp down")

    subscription = Subscription(id="notifications.probe_dead", event_type=OrderPlacedV1, handler=broken)
    consumer = Consumer(alias_for_module=lambda module: module, max_attempts=1)
    event = OrderPlacedV1(
        order_id=uuid4(),
        customer_email="ann@example.com",
        total=Decimal("1.00"),
        lines=(OrderPlacedLineV1(sku="KB", quantity=1, unit_price=Decimal("1.00")),),
    )
    labels = {"event_type": "orders.OrderPlacedV1", "subscriber": "notifications.probe_dead"}
    before = scrape(client)
    assert consumer.process(Envelope(data=event), subscription) == "dead"
    after = scrape(client)
    assert value(after, "events_dead_lettered", **labels) - value(before, "events_dead_lettered", **labels) == 1
    assert (
        value(after, "events_delivered", **labels, outcome="dead")
        - value(before, "events_delivered", **labels, outcome="dead")
        == 1
    )
    assert value(after, "events_dead_letters", alias="notifications") == 1


def test_metrics_are_not_under_the_api(client) -> None:
    assert client.get("/api/metrics").status_code == 404
