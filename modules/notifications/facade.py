from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from contracts.notifications.dto import SentNotification
from contracts.notifications.errors import InvalidRecipientError
from modules.notifications import selectors


class NotificationsFacade:
    """The in-process implementation of ``contracts.notifications.interface.NotificationsInterface``."""

    def list_sent(self, *, recipient: str) -> tuple[SentNotification, ...]:
        try:
            validate_email(recipient)
        except ValidationError:
            raise InvalidRecipientError(f"not an email address: {recipient!r}") from None
        return tuple(
            SentNotification(id=n.id, recipient=n.recipient, subject=n.subject, sent_at=n.sent_at)
            for n in selectors.notification_list(recipient=recipient)
        )
