from django.db.models import QuerySet

from modules.notifications.models import Notification


def notification_list(*, recipient: str) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient__iexact=recipient)
