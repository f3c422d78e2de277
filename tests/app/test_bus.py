"""The bus's guarantees, with the real wiring: delivery after commit only, isolation of failures."""

import logging
import uuid
from dataclasses import dataclass

import pytest
from django.db import transaction

from app.events.bus import EventBus, PublishOutsideTransactionError
from app.events.subscriptions import DuplicateSubscriptionError, SubscriptionRegistry
from app.events.transport import InProcessTransport
from contracts.inventory.events import StockReservedV1
from contracts.kernel.events import Event
from contracts.kernel.subscriptions import Subscription

pytestmark = pytest.mark.django_db(databases=["default", "inventory"], transaction=True)


@dataclass(frozen=True, kw_only=True)
class Recorder:
    seen: list[str]

    def handler(self, name: str):
        return lambda event: self.seen.append(f"{name}:{type(event).__name__}")


def make_bus(*subscriptions: Subscription) -> EventBus:
    return EventBus(
        subscriptions=SubscriptionRegistry(subscriptions),
        transport=InProcessTransport(),
        alias_for_module=lambda module: module,
    )


def reserved() -> StockReservedV1:
    return StockReservedV1(order_id=uuid.uuid4())


def publish_then_fail(bus: EventBus, event: Event) -> None:
    with transaction.atomic(using="inventory"):
        bus.publish(event)
        raise ZeroDivisionError("the change failed after publishing")


def test_an_event_is_delivered_only_after_its_transaction_commits() -> None:
    seen: list[str] = []
    bus = make_bus(
        Subscription(id="t.a", event_type=StockReservedV1, handler=Recorder(seen=seen).handler("a"))
    )
    with transaction.atomic(using="inventory"):
        bus.publish(reserved())
        assert seen == []
    assert seen == ["a:StockReservedV1"]


def test_nothing_is_delivered_when_the_transaction_rolls_back() -> None:
    seen: list[str] = []
    bus = make_bus(
        Subscription(id="t.a", event_type=StockReservedV1, handler=Recorder(seen=seen).handler("a"))
    )
    with pytest.raises(ZeroDivisionError):
        publish_then_fail(bus, reserved())
    assert seen == []


def test_an_event_published_in_a_rolled_back_savepoint_is_never_delivered() -> None:
    seen: list[str] = []
    bus = make_bus(
        Subscription(id="t.a", event_type=StockReservedV1, handler=lambda e: seen.append(e.order_id))
    )
    kept, dropped = reserved(), reserved()
    with transaction.atomic(using="inventory"):
        bus.publish(kept)
        with pytest.raises(ZeroDivisionError):
            publish_then_fail(bus, dropped)
    assert seen == [kept.order_id]


def test_publishing_outside_an_atomic_block_on_the_modules_alias_is_refused() -> None:
    bus = make_bus()
    with pytest.raises(PublishOutsideTransactionError, match=r"atomic\(using='inventory'\)"):
        bus.publish(reserved())


def test_a_transaction_on_another_alias_does_not_count() -> None:
    bus = make_bus()
    with transaction.atomic(using="default"), pytest.raises(PublishOutsideTransactionError):
        bus.publish(reserved())


def test_a_failing_subscriber_neither_reaches_the_publisher_nor_starves_the_others(caplog) -> None:
    seen: list[str] = []

    def explode(event: Event) -> None:
        raise RuntimeError("boom")

    bus = make_bus(
        Subscription(id="t.explodes", event_type=StockReservedV1, handler=explode),
        Subscription(id="t.b", event_type=StockReservedV1, handler=Recorder(seen=seen).handler("b")),
    )
    event_id_logged = caplog.at_level(logging.ERROR, logger="app.events.transport")
    with event_id_logged, transaction.atomic(using="inventory"):
        bus.publish(reserved())
    assert seen == ["b:StockReservedV1"]
    [record] = caplog.records
    assert "t.explodes" in record.getMessage()
    assert "inventory.StockReservedV1" in record.getMessage()
    assert record.exc_info is not None


def test_events_published_by_a_handler_wait_for_the_current_events_other_subscribers() -> None:
    seen: list[str] = []
    recorder = Recorder(seen=seen)

    def publish_another(event: StockReservedV1) -> None:
        seen.append(f"first:{type(event).__name__}")
        if event.order_id != follow_up.order_id:
            with transaction.atomic(using="inventory"):
                bus.publish(follow_up)

    follow_up = reserved()
    bus = make_bus(
        Subscription(id="t.first", event_type=StockReservedV1, handler=publish_another),
        Subscription(id="t.second", event_type=StockReservedV1, handler=recorder.handler("second")),
    )
    with transaction.atomic(using="inventory"):
        bus.publish(reserved())
    assert seen == [
        "first:StockReservedV1",
        "second:StockReservedV1",
        "first:StockReservedV1",
        "second:StockReservedV1",
    ]


def test_a_subscriber_id_is_unique() -> None:
    subscription = Subscription(id="t.same", event_type=StockReservedV1, handler=print)
    with pytest.raises(DuplicateSubscriptionError, match=r"t\.same"):
        SubscriptionRegistry([subscription, subscription])
