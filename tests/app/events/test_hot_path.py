"""The delivery hot path in SQL: what it reads back matches the ORM, and what it costs per event
is pinned, so a change that adds statements or transactions to every event shows up here."""

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from app.events.deliveries import events_expand
from app.events.models import OutboxDelivery, OutboxEvent
from app.events.outbox import outbox_wire
from app.events.rows import RowReader, asynchronous_commit, transaction_pending
from app.events.runner import InlineDrainer
from tests.app.events.conftest import reserved

pytestmark = pytest.mark.django_db(databases=["default", "inventory", "orders"], transaction=True)


def test_the_relay_reads_an_event_back_in_the_wire_form_the_outbox_writes(world) -> None:
    with transaction.atomic(using="inventory"):
        world.bus().publish(reserved())
    stored = OutboxEvent.objects.using("inventory").get()

    with transaction.atomic(using="inventory"), connections["inventory"].cursor() as cursor:
        [(event_id, wire)] = events_expand(cursor, now=stored.time, limit=10).items()

    assert (event_id, wire) == (stored.id, outbox_wire(stored))


def test_rows_read_in_sql_convert_like_the_orm(world) -> None:
    world.subscribe("a", lambda event: None)
    with transaction.atomic(using="inventory"):
        world.bus().publish(reserved())
    world.relay().drain("inventory")
    delivery = OutboxDelivery.objects.using("inventory").get()
    reader = RowReader(OutboxDelivery, ["id", "event", "subscriber", "delivered_at", "attempts"])

    with connections["inventory"].cursor() as cursor:
        cursor.execute(f"SELECT {reader.columns} FROM events_outboxdelivery")
        [row] = cursor.fetchall()

    expected = [delivery.pk, delivery.event_id, delivery.subscriber, delivery.delivered_at, delivery.attempts]
    assert reader.read(connections["inventory"], row) == expected


def test_an_event_delivered_in_process_costs_three_short_transactions_and_nine_statements(world) -> None:
    """Publisher's database: the outbox INSERT in the publisher's transaction; then the claim
    (expand, create the delivery leased: one transaction; the inline drainer leaves other due
    deliveries to the relay loop) and the record (one UPDATE).
    Subscriber's database: a first attempt's inbox entry, counted and processed, and the
    handler in one transaction."""
    handled: list[object] = []
    world.subscribe("a", handled.append)
    bus = world.bus(InlineDrainer(world.relay()))
    with (
        CaptureQueriesContext(connections["inventory"]) as publisher,
        CaptureQueriesContext(connections["orders"]) as subscriber,
        transaction.atomic(using="inventory"),  # the drain runs when it commits, inside the captures
    ):
        bus.publish(reserved())

    statements = [q["sql"].split()[0].upper() for q in (*publisher.captured_queries, *subscriber.captured_queries)]
    ours = statements[3:]  # after the publisher's BEGIN, INSERT (the outbox row) and COMMIT
    assert len(handled) == 1
    assert statements[:3] == ["BEGIN", "INSERT", "COMMIT"]
    assert len(ours) == 9 - 1, statements
    assert ours.count("COMMIT") == 2  # claim, inbox entry + handler; the record commits alone


def test_an_atomic_block_has_something_to_commit_once_it_ran_a_statement_or_deferred_work() -> None:
    connection = connections["inventory"]  # this run's vendor: SQLite, or PostgreSQL with DATABASE_URL
    with transaction.atomic(using="inventory"):
        # psycopg begins the server's transaction with the first statement; SQLite's with the block
        assert transaction_pending(connection) is (connection.vendor != "postgresql")
        transaction.on_commit(lambda: None, using="inventory")
        assert transaction_pending(connection)
    with transaction.atomic(using="inventory"), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert transaction_pending(connection)


def test_only_postgresql_commits_bookkeeping_asynchronously() -> None:
    connection = connections["inventory"]  # this run's vendor: SQLite, or PostgreSQL with DATABASE_URL
    snippet = asynchronous_commit(connection)
    if connection.vendor == "postgresql":
        assert "set_config('synchronous_commit', 'off', true)" in snippet
    else:
        assert snippet == ""
