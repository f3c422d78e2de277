from typing import Protocol

from contracts.notifications.dto import SentNotification


class NotificationsInterface(Protocol):
    def list_sent(self, *, recipient: str) -> tuple[SentNotification, ...]:
        """Notifications sent to ``recipient``, newest first. Raises ``InvalidRecipientError``."""
        ...
