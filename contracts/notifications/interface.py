from typing import Protocol

from contracts.kernel.markers import idempotent
from contracts.notifications.dto import SentNotification


class NotificationsInterface(Protocol):
    @idempotent
    def list_sent(self, *, recipient: str) -> tuple[SentNotification, ...]:
        """Notifications sent to ``recipient``, newest first. Raises ``InvalidRecipientError``."""
        ...
