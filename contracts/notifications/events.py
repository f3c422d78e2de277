from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from contracts.kernel.events import Event


@dataclass(frozen=True, kw_only=True)
class NotificationSentV1(Event):
    subject_field: ClassVar[str] = "notification_id"
    notification_id: UUID
    recipient: str
    about: str
