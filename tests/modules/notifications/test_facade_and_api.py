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


def test_the_api_lists_notifications_for_a_recipient(client_as, rejected) -> None:
    response = client_as(email="b@example.com").get("/api/notifications", {"recipient": "b@example.com"})
    assert response.status_code == 200
    [body] = response.json()
    assert body["body"] == "We are sorry: no stock.\n"


def test_a_customer_may_not_list_someone_elses_notifications(client_as, rejected) -> None:
    response = client_as(email="eve@example.com").get("/api/notifications", {"recipient": "b@example.com"})
    assert response.status_code == 403
    assert "your own address" in response.json()["detail"]


def test_staff_may_list_anyones_notifications(client_as, rejected) -> None:
    response = client_as(email="ops@example.com", staff=True).get("/api/notifications", {"recipient": "b@example.com"})
    assert len(response.json()) == 1


def test_the_api_names_a_malformed_recipient(client_as) -> None:
    response = client_as(email="b@example.com", staff=True).get("/api/notifications", {"recipient": "nope"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "recipient"]
