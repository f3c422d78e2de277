"""Bad input gets a 4xx whose JSON body names the problem, and writes nothing anywhere."""

import json
import uuid

import pytest

from modules.inventory.models import Product, Reservation
from modules.notifications.models import Notification
from modules.orders.models import Order

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)

GOOD_LINE = {"sku": "KB", "quantity": 1}


def post(auth_client, body: object):
    raw = body if isinstance(body, str) else json.dumps(body)
    return auth_client.post("/api/orders", raw, content_type="application/json")


def assert_nothing_written() -> None:
    assert Order.objects.count() == 0
    assert Reservation.objects.count() == 0
    assert Notification.objects.count() == 0
    assert sum(p.reserved for p in Product.objects.all()) == 0


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"customer_email": "a@example.com", "lines": [{"sku": "KB", "quantity": 0}]}, "quantity"),
        ({"customer_email": "a@example.com", "lines": [{"sku": "KB", "quantity": -3}]}, "quantity"),
        ({"customer_email": "a@example.com", "lines": []}, "lines"),
        ({"customer_email": "not-an-email", "lines": [GOOD_LINE]}, "customer_email"),
        ({"customer_email": "a@example.com", "lines": [{"sku": "KB", "quantity": "two"}]}, "quantity"),
        ({"customer_email": "a@example.com", "lines": "KB"}, "lines"),
        ({"customer_email": 42, "lines": [GOOD_LINE]}, "customer_email"),
        ({"lines": [GOOD_LINE]}, "customer_email"),
        ({"customer_email": "a@example.com", "lines": [{"sku": "", "quantity": 1}]}, "sku"),
    ],
    ids=[
        "zero",
        "negative",
        "empty-lines",
        "bad-email",
        "quantity-type",
        "lines-type",
        "email-type",
        "missing-email",
        "empty-sku",
    ],
)
def test_invalid_orders_are_422_naming_the_field(auth_client, catalogue, body, named) -> None:
    response = post(auth_client, body)
    assert response.status_code == 422
    assert named in [str(part) for error in response.json()["detail"] for part in error["loc"]]
    assert_nothing_written()


def test_one_unknown_sku_creates_no_order_and_reserves_nothing(auth_client, catalogue) -> None:
    response = post(
        auth_client, {"customer_email": "a@example.com", "lines": [GOOD_LINE, {"sku": "NOPE", "quantity": 1}]}
    )
    assert response.status_code == 422
    assert response.json() == {"detail": "unknown sku: NOPE", "code": "unknown_sku"}
    assert_nothing_written()


@pytest.mark.parametrize("raw", ["{bad", "", "[1, 2]", "null"])
def test_malformed_json_is_a_4xx_with_a_reason(auth_client, catalogue, raw) -> None:
    response = post(auth_client, raw)
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]
    assert_nothing_written()


def test_an_order_id_that_is_not_a_uuid_is_422(auth_client) -> None:
    response = auth_client.get("/api/orders/123")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "order_id"]


def test_an_unknown_order_is_404_with_a_json_error(auth_client) -> None:
    missing = uuid.uuid4()
    response = auth_client.get(f"/api/orders/{missing}")
    assert response.status_code == 404
    assert response.json() == {"detail": f"order {missing} not found", "code": "order_not_found"}
