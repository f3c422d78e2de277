"""publish(): one outbox row in the publisher's transaction, never anything for a rollback."""

import pytest
from django.db import transaction

from app.events.bus import PublishOutsideTransactionError
from app.events.models import OutboxEvent
from tests.app.events.conftest import reserved

pytestmark = pytest.mark.django_db(databases=["default", "inventory", "orders"], transaction=True)


def publish_then_fail(bus, event) -> None:
    with transaction.atomic(using="inventory"):
        bus.publish(event)
        raise ZeroDivisionError("the change failed after publishing")


def test_publish_writes_the_envelope_to_the_publishers_outbox(world) -> None:
    event = reserved()
    with transaction.atomic(using="inventory"):
        world.bus().publish(event)
    row = OutboxEvent.objects.using("inventory").get()
    assert (row.type, row.source, row.subject) == (
        "inventory.StockReservedV1",
        "/modules/inventory",
        str(event.order_id),
    )
    assert row.data == {"order_id": str(event.order_id), "command_id": str(event.command_id)}
    assert row.id.version == 7
    assert set(row.headers) - {"traceparent", "tracestate"} == {"correlation_id"}  # + the publish span
    assert not OutboxEvent.objects.using("orders").exists()


def test_wakers_run_after_the_commit_not_before(world) -> None:
    woken: list[str] = []
    bus = world.bus(woken.append)
    with transaction.atomic(using="inventory"):
        bus.publish(reserved())
        assert woken == []
    assert woken == ["inventory"]


def test_a_transaction_that_publishes_many_events_wakes_once(world) -> None:
    woken: list[str] = []
    bus = world.bus(woken.append)
    with transaction.atomic(using="inventory"):
        for _ in range(3):
            bus.publish(reserved())
    assert woken == ["inventory"]


def test_the_wake_up_outlives_a_rolled_back_savepoint_that_registered_it_first(world) -> None:
    woken: list[str] = []
    bus = world.bus(woken.append)
    with transaction.atomic(using="inventory"):
        with pytest.raises(ZeroDivisionError):
            publish_then_fail(bus, reserved())  # a savepoint: its on_commit hook goes with it
        bus.publish(reserved())
    assert woken == ["inventory"]


def test_a_rolled_back_transaction_leaves_no_row_and_wakes_nobody(world) -> None:
    woken: list[str] = []
    with pytest.raises(ZeroDivisionError):
        publish_then_fail(world.bus(woken.append), reserved())
    assert not OutboxEvent.objects.using("inventory").exists()
    assert woken == []


def test_an_event_published_in_a_rolled_back_savepoint_is_gone(world) -> None:
    bus, kept = world.bus(), reserved()
    with transaction.atomic(using="inventory"):
        bus.publish(kept)
        with pytest.raises(ZeroDivisionError):
            publish_then_fail(bus, reserved())
    assert [row.subject for row in OutboxEvent.objects.using("inventory")] == [str(kept.order_id)]


def test_publishing_outside_an_atomic_block_on_the_modules_alias_is_refused(world) -> None:
    with pytest.raises(PublishOutsideTransactionError, match=r"atomic\(using='inventory'\)"):
        world.bus().publish(reserved())


def test_a_transaction_on_another_alias_does_not_count(world) -> None:
    with transaction.atomic(using="orders"), pytest.raises(PublishOutsideTransactionError):
        world.bus().publish(reserved())
