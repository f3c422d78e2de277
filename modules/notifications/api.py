from django.http import HttpRequest
from ninja import Router
from pydantic import EmailStr

from modules.notifications import selectors
from modules.notifications.models import Notification
from modules.notifications.schemas import NotificationOut

router = Router(tags=["notifications"])


@router.get("", response=list[NotificationOut], summary="Notifications sent to one address")
def notifications_list(request: HttpRequest, recipient: EmailStr) -> list[Notification]:
    return list(selectors.notification_list(recipient=recipient))
