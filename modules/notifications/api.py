from django.http import HttpRequest
from ninja import Router
from ninja.errors import HttpError
from pydantic import EmailStr

from contracts.kernel.identity import current_principal
from modules.notifications import selectors
from modules.notifications.models import Notification
from modules.notifications.schemas import NotificationOut

router = Router(tags=["notifications"])


@router.get("", response=list[NotificationOut], summary="Notifications sent to one address")
def notifications_list(request: HttpRequest, recipient: EmailStr) -> list[Notification]:
    principal = current_principal()
    if principal is not None and not principal.is_staff and principal.email.lower() != recipient.lower():
        raise HttpError(403, "you may only list the notifications sent to your own address")
    return list(selectors.notification_list(recipient=recipient))
