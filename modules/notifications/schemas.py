from datetime import datetime
from uuid import UUID

from ninja import Schema


class NotificationOut(Schema):
    id: UUID
    recipient: str
    subject: str
    body: str
    sent_at: datetime
