from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from contracts.kernel.events import publish
from contracts.notifications.events import NotificationSentV1
from modules.notifications.messages import Message
from modules.notifications.models import Notification

DB = "notifications"


def notification_send(*, message: Message) -> Notification | None:
    """Email ``message`` once: a message whose reference was already sent is skipped (None).

    The record is written first and the mail sent inside the same transaction, so a mail that
    fails to send leaves no record and the delivery can be retried.
    """
    with transaction.atomic(using=DB):
        notification, created = Notification.objects.get_or_create(
            reference=message.reference,
            defaults={"recipient": message.recipient, "subject": message.subject, "body": message.body},
        )
        if not created:
            return None
        send_mail(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.recipient])
        publish(
            NotificationSentV1(notification_id=notification.id, recipient=message.recipient, about=message.reference)
        )
        return notification
