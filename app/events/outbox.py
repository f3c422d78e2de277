"""Writing and reading outbox rows: the envelope as it is stored in the publisher's database."""

from typing import Any

from django.db import connections

from app.events.envelope import Envelope
from app.events.models import OutboxEvent
from app.events.rows import bookkeeping_cursor, moment, param, table
from app.serialization import to_data


def outbox_write(*, envelope: Envelope, alias: str) -> None:
    """One INSERT, in whatever transaction is open on ``alias``. Written in SQL: it runs for every
    event published, and ``QuerySet.create`` spent three times as long building the statement
    as the database spent running it (see ``app.events.rows``)."""
    connection = connections[alias]
    with bookkeeping_cursor(connection) as cursor:
        cursor.execute(
            f"INSERT INTO {table(connection, OutboxEvent)} (id, type, source, subject, time, data, headers) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                param(connection, OutboxEvent, "id", envelope.id),
                envelope.type,
                envelope.source,
                envelope.subject,
                moment(connection, envelope.time),
                param(connection, OutboxEvent, "data", to_data(envelope.data)),
                param(connection, OutboxEvent, "headers", envelope.headers),
            ],
        )


def outbox_wire(event: OutboxEvent) -> dict[str, Any]:
    """The stored row in the envelope's wire form (see ``Envelope.to_wire``)."""
    return {
        "specversion": "1.0",
        "id": str(event.id),
        "source": event.source,
        "type": event.type,
        "subject": event.subject,
        "time": event.time.isoformat(),
        "datacontenttype": "application/json",
        "data": event.data,
        "headers": event.headers,
    }
