"""Relay + inbox: every (event, subscriber) takes effect once, failures retry, then dead-letter."""

from contextlib import suppress
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from app.events.context import handling
from app.events.envelope import Envelope
from app.events.models import DeadLetter, InboxEntry, OutboxDelivery, OutboxEvent
from contracts.inventory.events import StockReservedV1
from modules.orders.models import Order
from tests.app.events.conftest import reserved

pytestmark = pytest.mark.django_db(databases=["default", "inventory", "orders"], transaction=True)


def effect(event) -> None:
    """A real effect in the subscriber's database: one order row per handled event."""
    Order.objects.create(customer_email=f"{event.order_id}@example.com", total=Decimal(1))


def publish(world, count: int = 1) -> list[StockReservedV1]:
    events = [reserved() for _ in range(count)]
    bus = world.bus()
    with transaction.atomic(using="inventory"):
        for event in events:
            bus.publish(event)
    return events


def test_each_subscriber_gets_each_event_once(world) -> None:
    world.subscribe("a", effect)
    world.subscribe("b", effect)
    publish(world, 3)
    relay = world.relay()
    assert relay.drain("inventory") == 6
    assert relay.drain("inventory") == 0
    assert Order.objects.count() == 6
    assert OutboxDelivery.objects.using("inventory").filter(delivered_at__isnull=True).count() == 0


def test_a_delivery_sent_but_not_recorded_is_resent_and_absorbed_by_the_inbox(world) -> None:
    world.subscribe("a", effect)
    publish(world)
    relay = world.relay(lease=timedelta(seconds=-1))  # leases expire at once: as if the relay died
    [claimed] = relay._claim("inventory").deliveries
    relay._send(claimed)  # sent, then the relay "dies" before recording
    assert relay.drain("inventory") == 1  # re-sent after the lease...
    assert Order.objects.count() == 1  # ...and the inbox absorbed the duplicate
    assert InboxEntry.objects.using("orders").get().attempts == 1


def test_a_leased_delivery_is_invisible_to_another_relay(world) -> None:
    world.subscribe("a", effect)
    publish(world)
    first, second = world.relay(), world.relay()
    claimed = first._claim("inventory").deliveries
    assert len(claimed) == 1
    assert second.run_once("inventory") == 0


def test_a_failing_subscriber_is_retried_while_the_others_proceed(world) -> None:
    calls: list[str] = []

    def flaky(event) -> None:
        calls.append("flaky")
        if len(calls) < 2:
            raise ConnectionError("downstream hiccup")
        effect(event)

    world.subscribe("flaky", flaky)
    world.subscribe("steady", effect)
    publish(world)
    relay = world.relay()
    relay.run_once("inventory")
    assert Order.objects.count() == 1  # steady done, flaky waiting for its retry
    relay.run_once("inventory")
    assert Order.objects.count() == 2
    entry = InboxEntry.objects.using("orders").get(subscriber="t.flaky")
    assert (entry.attempts, entry.processed_at is not None) == (2, True)


def test_a_failed_handler_leaves_no_partial_effect(world) -> None:
    def half_done(event) -> None:
        effect(event)
        raise ValueError("second half failed")

    world.subscribe("half", half_done)
    publish(world)
    world.relay().run_once("inventory")
    assert Order.objects.count() == 0
    assert "ValueError: second half failed" in InboxEntry.objects.using("orders").get().last_error


def test_a_poison_message_is_dead_lettered_after_max_attempts_and_others_keep_flowing(world) -> None:
    def poison(event) -> None:
        if str(event.order_id) == poisoned:
            raise KeyError("cannot handle this one")
        effect(event)

    world.subscribe("picky", poison)
    poisoned = str(publish(world)[0].order_id)
    publish(world, 2)
    relay = world.relay()
    for _ in range(world.max_attempts + 2):
        relay.run_once("inventory")
    dead = DeadLetter.objects.using("orders").get()
    assert (str(dead.event_id), dead.attempts, dead.subscriber) == (dead.envelope["id"], 3, "t.picky")
    assert "KeyError" in dead.error
    assert dead.envelope["data"]["order_id"] == poisoned
    assert Order.objects.count() == 2
    assert OutboxDelivery.objects.using("inventory").filter(delivered_at__isnull=True).count() == 0


def test_attempts_that_died_without_a_trace_still_count(world) -> None:
    world.subscribe("a", effect)
    [event] = publish(world)
    InboxEntry.objects.using("orders").create(
        subscriber="t.a",
        event_id=OutboxEvent.objects.using("inventory").get().id,
        event_type="inventory.StockReservedV1",
        attempts=world.max_attempts,
    )
    world.relay().run_once("inventory")
    assert Order.objects.count() == 0
    assert DeadLetter.objects.using("orders").get().error == "the handler never finished"
    assert event.order_id


class ProcessDied(BaseException):
    pass


def test_a_message_that_keeps_killing_its_process_is_dead_lettered_after_one_attempt_more_than_the_max(
    world,
) -> None:
    """The first attempt is counted in the handler's transaction, which never commits; each
    re-send (not fresh: the dead relay's lease ran out) is counted before its handler runs."""
    deaths: list[object] = []

    def killer(event) -> None:
        deaths.append(event)
        raise ProcessDied

    world.subscribe("killer", killer)
    publish(world)
    relay = world.relay(lease=timedelta(seconds=-1))  # every lease has run out by the next pass
    for _ in range(world.max_attempts + 3):
        with suppress(ProcessDied):
            relay.run_once("inventory")
    dead = DeadLetter.objects.using("orders").get()
    assert (len(deaths), dead.attempts, dead.error) == (4, 4, "the handler never finished")
    assert world.max_attempts == 3
    assert OutboxDelivery.objects.using("inventory").get().delivered_at is not None


def first_attempt_twice(world) -> list[str]:
    """Subscriber t.a's outcomes for one event delivered as a first attempt, twice."""
    relay = world.relay()
    consumer, subscription = relay.transport.consumer, relay.subscriptions.get("t.a")
    envelope = Envelope(data=reserved())
    return [consumer.process(envelope, subscription, first=True) for _ in range(2)]


def test_a_first_attempt_that_finds_its_inbox_entry_is_counted_like_any_other(world) -> None:
    world.subscribe("a", effect)
    relay = world.relay()
    consumer, subscription = relay.transport.consumer, relay.subscriptions.get("t.a")
    fails, succeeds = Envelope(data=reserved()), Envelope(data=reserved())
    InboxEntry.objects.using("orders").create(
        subscriber="t.a", event_id=fails.id, event_type=fails.type, attempts=1, last_error="earlier"
    )

    assert consumer.process(succeeds, subscription, first=True) == "done"
    assert consumer.process(succeeds, subscription, first=True) == "duplicate"  # a racing twin, say
    assert consumer.process(fails, subscription, first=True) == "done"  # e.g. a replay: counted first
    assert Order.objects.count() == 2
    counted = {e.event_id: e.attempts for e in InboxEntry.objects.using("orders").all()}
    assert counted == {succeeds.id: 1, fails.id: 2}


def test_a_handler_that_leaves_nothing_to_commit_gets_its_inbox_mark_alone(world) -> None:
    """No statement and no on-commit work on the subscriber's database: the mark is one
    statement in autocommit (on PostgreSQL; SQLite opens its transaction with the block)."""
    calls: list[object] = []
    world.subscribe("a", calls.append)
    relay = world.relay()
    consumer, subscription = relay.transport.consumer, relay.subscriptions.get("t.a")
    envelope = Envelope(data=reserved())
    connection = connections["orders"]
    with CaptureQueriesContext(connection) as captured:
        assert consumer.process(envelope, subscription, first=True) == "done"
    assert consumer.process(envelope, subscription, first=True) == "duplicate"

    statements = [q["sql"].split()[0].upper() for q in captured.captured_queries]
    assert len(calls) == (2 if connection.vendor == "postgresql" else 1)  # see the duplicate test
    assert InboxEntry.objects.using("orders").get().processed_at is not None
    if connection.vendor == "postgresql":  # Django logs BEGIN and COMMIT; psycopg sent neither (see rows)
        assert statements == ["BEGIN", "COMMIT", "INSERT"]
    else:
        assert statements == ["BEGIN", "INSERT", "COMMIT"]


def test_on_commit_work_of_a_handler_waits_for_its_inbox_mark(world) -> None:
    """A handler that only defers work to on_commit still commits it with the mark: the work
    runs once, after the mark, and a duplicate's never runs."""
    ran: list[bool] = []

    def deferring(event) -> None:
        transaction.on_commit(
            lambda: ran.append(InboxEntry.objects.using("orders").filter(processed_at__isnull=False).exists()),
            using="orders",
        )

    world.subscribe("a", deferring)
    assert first_attempt_twice(world) == ["done", "duplicate"]
    assert ran == [True]


def test_events_published_by_a_handler_carry_its_correlation_and_name_it_as_cause(world) -> None:
    [event] = publish(world)
    original = OutboxEvent.objects.using("inventory").get()
    envelope = world.relay().event_types.envelope_from_wire(
        {
            "id": str(original.id),
            "type": original.type,
            "time": original.time.isoformat(),
            "data": original.data,
            "headers": original.headers,
        }
    )
    with handling(envelope), transaction.atomic(using="inventory"):
        world.bus().publish(reserved())
    follow_up = OutboxEvent.objects.using("inventory").exclude(id=original.id).get()
    assert {k: v for k, v in follow_up.headers.items() if k not in ("traceparent", "tracestate")} == {
        "correlation_id": original.headers["correlation_id"],
        "causation_id": str(original.id),
    }
    assert event.order_id


def test_a_retry_waits_for_its_backoff(world) -> None:
    world.subscribe("down", lambda event: (_ for _ in ()).throw(ConnectionError("down")))
    publish(world)
    relay = world.relay(backoff=60.0, backoff_max=120.0)
    relay.run_once("inventory")
    assert relay.run_once("inventory") == 0
    delivery = OutboxDelivery.objects.using("inventory").get()
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)


def test_a_duplicate_stops_at_its_handlers_first_statement(world) -> None:
    """The claim runs before the handler's first statement: a duplicate does no database work,
    and a handler that catches every Exception cannot carry on past it."""
    statements_run: list[str] = []

    def stubborn(event) -> None:
        statements_run.append("before")
        try:
            effect(event)
        except Exception:
            statements_run.append("swallowed")
        statements_run.append("after")

    world.subscribe("a", stubborn)
    assert first_attempt_twice(world) == ["done", "duplicate"]
    # PostgreSQL: the duplicate's handler stopped at its first statement; SQLite: it never started
    # (its transaction is open from the block's start, so the claim is made at once).
    assert statements_run in (["before", "after", "before"], ["before", "after"])
    assert Order.objects.count() == 1
