"""Writing and reading outbox rows: the envelope as it is stored in the publisher's database."""

from typing import Any

from app.events.envelope import Envelope
from app.events.models import OutboxEvent
from app.serialization import to_data


def outbox_write(*, envelope: Envelope, alias: str) -> None:
    """One INSERT, in whatever transaction is open on ``alias``."""
    OutboxEvent.objects.using(alias).create(
        id=envelope.id,
        type=envelope.type,
        source=envelope.source,
        subject=envelope.subject,
        time=envelope.time,
        data=to_data(envelope.data),
        headers=envelope.headers,
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
