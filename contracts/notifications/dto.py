from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, kw_only=True)
class SentNotification:
    id: UUID
    recipient: str
    subject: str
    sent_at: datetime
