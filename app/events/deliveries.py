"""The relay's statements on the outbox tables, in SQL (see ``app.events.rows`` for why).

- ``events_expand``: takes a batch of unexpanded events and marks them expanded, returning them
  (one ``UPDATE ... RETURNING``); ``deliveries_create`` then inserts their deliveries already
  leased, returning them (one multi-row ``INSERT ... RETURNING``);
- ``deliveries_lease``: leases a batch of other due deliveries: retries, expired leases,
  replays (one ``UPDATE ... RETURNING``);
- ``events_load``: the events of leased deliveries that the expansion did not already return;
- ``deliveries_delivered``: records a batch as delivered (one UPDATE).

On PostgreSQL the batches are picked ``FOR UPDATE SKIP LOCKED``, so concurrent relays take
disjoint batches without waiting; SQLite has no row locks, but its IMMEDIATE transactions
(``transaction_mode`` in ``app.databases``) serialize the relays' claims, which is as safe.
Both run ``RETURNING`` (SQLite >= 3.35).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper

from app.events.models import OutboxDelivery, OutboxEvent
from app.events.rows import RowReader, asynchronous_commit, moment, param, table

# Rows per INSERT: far below SQLite's limit on parameters (32,766), 3 parameters a row.
INSERT_CHUNK = 500

_EVENT = RowReader(OutboxEvent, ["id", "type", "source", "subject", "time", "data", "headers"])
_DELIVERY = RowReader(OutboxDelivery, ["id", "event", "subscriber", "attempts"])


@dataclass(frozen=True, kw_only=True)
class Leased:
    """A delivery leased by this relay, with its event in wire form; ``fresh`` when this pass
    created it (never sent before)."""

    pk: int
    event_id: UUID
    subscriber: str
    attempts: int
    wire: dict[str, Any]
    fresh: bool


def events_expand(cursor: CursorWrapper, *, now: datetime, limit: int) -> dict[UUID, dict[str, Any]]:
    """Marks up to ``limit`` unexpanded events expanded at ``now``; {id: the event's wire form}.
    Inside the claim's transaction, with the deliveries that ``deliveries_create`` inserts."""
    connection = cursor.db
    events = table(connection, OutboxEvent)
    sql = (
        f"UPDATE {events} SET expanded_at = %s{_asynchronous(connection, own=len(connection.atomic_blocks) == 1)} "
        "WHERE id IN "
        f"(SELECT id FROM {events} WHERE expanded_at IS NULL ORDER BY id LIMIT %s{_skip_locked(connection)}) "
        f"RETURNING {_EVENT.columns}"
    )
    cursor.execute(sql, [moment(connection, now), limit])
    rows = cursor.fetchall()
    return _wires(connection, rows)


def deliveries_create(
    cursor: CursorWrapper, *, pairs: Sequence[tuple[UUID, str]], now: datetime, until: datetime
) -> list[tuple[int, UUID, str, int]]:
    """One delivery per (event id, subscriber id), due at ``now`` and leased until ``until``;
    their (pk, event id, subscriber, attempts). An existing one is left alone (and not returned:
    ``deliveries_lease`` takes it when it is due)."""
    connection = cursor.db
    deliveries = table(connection, OutboxDelivery)
    due, leased_until = moment(connection, now), moment(connection, until)
    rows: list[tuple[int, UUID, str, int]] = []
    for start in range(0, len(pairs), INSERT_CHUNK):
        chunk = pairs[start : start + INSERT_CHUNK]
        values = ", ".join(["(%s, %s, NULL, 0, %s, %s, '')"] * len(chunk))
        params: list[Any] = []
        for event_id, subscriber in chunk:
            params += [param(connection, OutboxEvent, "id", event_id), subscriber, due, leased_until]
        cursor.execute(
            f"INSERT INTO {deliveries} (event_id, subscriber, delivered_at, attempts, next_attempt_at, "
            f"claimed_until, last_error) VALUES {values} ON CONFLICT (event_id, subscriber) DO NOTHING "
            f"RETURNING {_DELIVERY.columns}",
            params,
        )
        rows += _deliveries(connection, cursor.fetchall())
    return rows


def deliveries_lease(
    cursor: CursorWrapper, *, now: datetime, until: datetime, limit: int
) -> list[tuple[int, UUID, str, int]]:
    """Leases up to ``limit`` due deliveries (undelivered, due, not leased by anyone) until
    ``until``; their (pk, event id, subscriber, attempts), oldest first."""
    connection = cursor.db
    deliveries = table(connection, OutboxDelivery)
    at = moment(connection, now)
    sql = (
        f"UPDATE {deliveries} SET claimed_until = %s WHERE id IN "
        f"(SELECT id FROM {deliveries} WHERE delivered_at IS NULL AND next_attempt_at <= %s "
        f"AND (claimed_until IS NULL OR claimed_until < %s) ORDER BY id LIMIT %s{_skip_locked(connection)}) "
        f"RETURNING {_DELIVERY.columns}"
    )
    cursor.execute(sql, [moment(connection, until), at, at, limit])
    return _deliveries(connection, cursor.fetchall())


def events_load(cursor: CursorWrapper, ids: Iterable[UUID]) -> dict[UUID, dict[str, Any]]:
    """{id: wire form} of the events ``ids``."""
    connection = cursor.db
    wanted = [param(connection, OutboxEvent, "id", event_id) for event_id in ids]
    if not wanted:
        return {}
    placeholders = ", ".join(["%s"] * len(wanted))
    cursor.execute(
        f"SELECT {_EVENT.columns} FROM {table(connection, OutboxEvent)} WHERE id IN ({placeholders})", wanted
    )
    rows = cursor.fetchall()
    return _wires(connection, rows)


def leased(
    rows: Sequence[tuple[int, UUID, str, int]], wires: dict[UUID, dict[str, Any]], *, fresh: bool
) -> list[Leased]:
    return [
        Leased(pk=pk, event_id=event_id, subscriber=subscriber, attempts=attempts, wire=wires[event_id], fresh=fresh)
        for pk, event_id, subscriber, attempts in rows
    ]


def deliveries_delivered(cursor: CursorWrapper, *, pks: Sequence[int], now: datetime) -> None:
    """Records ``pks`` as delivered at ``now``: one more attempt, lease released, no error."""
    connection = cursor.db
    if not pks:
        return
    placeholders = ", ".join(["%s"] * len(pks))
    cursor.execute(
        f"UPDATE {table(connection, OutboxDelivery)} SET delivered_at = %s, attempts = attempts + 1, "
        f"claimed_until = NULL, last_error = ''{_asynchronous(connection, own=not connection.in_atomic_block)} "
        f"WHERE id IN ({placeholders})",
        [moment(connection, now), *pks],
    )


def _deliveries(connection: BaseDatabaseWrapper, rows: Iterable[Sequence[Any]]) -> list[tuple[int, UUID, str, int]]:
    return [tuple(_DELIVERY.read(connection, row)) for row in rows]


def _wires(connection: BaseDatabaseWrapper, rows: Iterable[Sequence[Any]]) -> dict[UUID, dict[str, Any]]:
    """The rows as ``outbox_wire`` writes them (built here without an ``OutboxEvent`` for each;
    ``tests/app/events/test_hot_path.py`` checks that both agree)."""
    wires = {}
    for row in rows:
        event_id, type_, source, subject, time, data, headers = _EVENT.read(connection, row)
        wires[event_id] = {
            "specversion": "1.0",
            "id": str(event_id),
            "source": source,
            "type": type_,
            "subject": subject,
            "time": time.isoformat(),
            "datacontenttype": "application/json",
            "data": data,
            "headers": headers,
        }
    return wires


def _asynchronous(connection: BaseDatabaseWrapper, *, own: bool) -> str:
    """The claim and the record commit asynchronously on PostgreSQL when they are transactions of
    the relay's own (see ``asynchronous_commit``): should a database crash forget one, its
    deliveries are sent again, and the consumers' inboxes absorb the duplicates. It spares two
    WAL flushes per batch."""
    source = asynchronous_commit(connection) if own else ""
    return f" FROM {source}" if source else ""


def _skip_locked(connection: BaseDatabaseWrapper) -> str:
    return " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
