import uuid

import pytest

from contracts.notifications.errors import InvalidRecipientError
from contracts.orders.events import OrderRejectedV1
from modules.notifications import handlers
from modules.notifications.facade import NotificationsFacade

pytestmark = pytest.mark.django_db(databases=["notifications"])


@pytest.fixture
def rejected(published, mailoutbox) -> OrderRejectedV1:
    event = OrderRejectedV1(order_id=uuid.uuid4(), customer_email="b@example.com", reason="no stock")
    handlers.on_order_rejected(event)
    return event


def test_the_facade_lists_what_was_sent_to_an_address(rejected) -> None:
    [sent] = NotificationsFacade().list_sent(recipient="B@example.com")
    assert sent.recipient == "b@example.com"
    assert str(rejected.order_id) in sent.subject


def test_the_facade_refuses_a_malformed_address() -> None:
    with pytest.raises(InvalidRecipientError, match="not-an-email"):
        NotificationsFacade().list_sent(recipient="not-an-email")


def test_the_api_lists_notifications_for_a_recipient(client, rejected) -> None:
    response = client.get("/api/notifications", {"recipient": "b@example.com"})
    assert response.status_code == 200
    [body] = response.json()
    assert body["body"] == "We are sorry: no stock.\n"


def test_the_api_names_a_malformed_recipient(client) -> None:
    response = client.get("/api/notifications", {"recipient": "nope"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "recipient"]
