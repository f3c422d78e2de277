"""What travels with an event: CloudEvents 1.0 attribute names around the domain event."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from app.events.ids import uuid7
from contracts.kernel.events import Event


@dataclass(frozen=True, kw_only=True)
class Envelope:
    data: Event
    id: UUID = field(default_factory=uuid7)
    time: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def type(self) -> str:
        return self.data.event_type()

    @property
    def source(self) -> str:
        return f"/modules/{self.data.source_module()}"

    @property
    def subject(self) -> str:
        return self.data.subject()
