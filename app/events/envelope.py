"""What travels with an event: CloudEvents 1.0 attribute names around the domain event, plus
correlation and causation ids (and, later, trace context and actor claims) in ``headers``."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from app.events.ids import uuid7
from app.serialization import from_data, to_data
from contracts.kernel.events import Event

SOURCE_PREFIX = "/modules/"

Wire = dict[str, Any]  # an envelope in its CloudEvents structured form, as stored and sent


@dataclass(frozen=True, kw_only=True)
class Envelope:
    data: Event
    id: UUID = field(default_factory=uuid7)
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    headers: dict[str, str] = field(default_factory=dict)
    # The module that wrote it: an event's owner, or whoever sent a command (see kernel.commands).
    origin: str = ""

    @property
    def type(self) -> str:
        return self.data.event_type()

    @property
    def source(self) -> str:
        return f"{SOURCE_PREFIX}{self.origin or self.data.source_module()}"

    @property
    def subject(self) -> str:
        return self.data.subject()

    def to_wire(self) -> Wire:
        """The CloudEvents structured form (JSON-ready)."""
        return {
            "specversion": "1.0",
            "id": str(self.id),
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": self.time.isoformat(),
            "datacontenttype": "application/json",
            "data": to_data(self.data),
            "headers": dict(self.headers),
        }


class UnknownEventTypeError(LookupError):
    pass


class EventTypes:
    """Wire name -> event class, so an envelope read back from storage or a broker is typed."""

    def __init__(self, classes: Iterable[type[Event]]) -> None:
        self._by_name = {cls.event_type(): cls for cls in classes}

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def envelope_from_wire(self, wire: Wire) -> Envelope:
        try:
            cls = self._by_name[wire["type"]]
        except KeyError:
            raise UnknownEventTypeError(f"unknown event type {wire['type']!r}") from None
        return Envelope(
            data=from_data(cls, wire["data"]),
            id=UUID(wire["id"]),
            time=datetime.fromisoformat(wire["time"]),
            headers=dict(wire.get("headers") or {}),
            origin=str(wire.get("source", "")).removeprefix(SOURCE_PREFIX),
        )
