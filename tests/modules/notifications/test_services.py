import uuid
from decimal import Decimal

import pytest

from contracts.notifications.events import NotificationSentV1
from contracts.orders.events import OrderPlacedLineV1, OrderPlacedV1
from modules.notifications import messages, services
from modules.notifications.models import Notification

pytestmark = pytest.mark.django_db(databases=["notifications"])


def placed() -> OrderPlacedV1:
    line = OrderPlacedLineV1(sku="KB", quantity=2, unit_price=Decimal("10.00"))
    return OrderPlacedV1(order_id=uuid.uuid4(), customer_email="a@example.com", total=Decimal("20.00"), lines=(line,))


def test_a_message_is_emailed_recorded_and_announced(mailoutbox, published) -> None:
    event = placed()
    notification = services.notification_send(message=messages.order_received(event))
    [mail] = mailoutbox
    assert mail.to == ["a@example.com"]
    assert str(event.order_id) in mail.subject
    assert "2 x KB at 10.00" in mail.body
    assert "Total: 20.00" in mail.body
    assert notification is not None
    assert Notification.objects.get().id == notification.id
    assert published.of_type(NotificationSentV1)[0].recipient == "a@example.com"


def test_the_same_message_is_never_sent_twice(mailoutbox, published) -> None:
    message = messages.order_received(placed())
    services.notification_send(message=message)
    assert services.notification_send(message=message) is None
    assert len(mailoutbox) == 1
    assert Notification.objects.count() == 1


def test_a_mail_that_cannot_be_sent_leaves_no_record(mailoutbox, published, monkeypatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(services, "send_mail", refuse)
    with pytest.raises(ConnectionRefusedError):
        services.notification_send(message=messages.order_received(placed()))
    assert Notification.objects.count() == 0
    assert published.events == []
