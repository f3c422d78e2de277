"""The whole order flow through HTTP: orders -> inventory -> orders, and notifications."""

import logging

import pytest

from app.modules import discover_modules
from modules.inventory.models import Product
from modules.notifications import services as notification_services

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)


def subjects(auth_client, email: str = "ann@example.com") -> list[str]:
    return sorted(
        n["subject"].split(" order ")[0] for n in auth_client.get("/api/notifications", {"recipient": email}).json()
    )


def test_health_lists_every_module(auth_client) -> None:
    assert auth_client.get("/api/health").json() == {
        "status": "ok",
        "modules": [spec.name for spec in discover_modules()],
    }


def test_an_order_with_stock_is_confirmed_reserved_and_emailed(auth_client, catalogue, place, mailoutbox) -> None:
    response = place(("KB", 2), ("DK", 1))
    assert response.status_code == 201
    order = response.json()
    assert (order["status"], order["total"], order["customer_email"]) == (
        "CONFIRMED",
        "327.00",
        "ann@example.com",
    )
    assert order["lines"] == [
        {"sku": "KB", "quantity": 2, "unit_price": "89.00"},
        {"sku": "DK", "quantity": 1, "unit_price": "149.00"},
    ]
    assert auth_client.get(f"/api/orders/{order['id']}").json() == order
    stock = {p["sku"]: p["available"] for p in auth_client.get("/api/inventory/products").json()}
    assert stock == {"DK": 0, "KB": 3}
    assert subjects(auth_client) == ["We received your", "Your"]
    assert [m.subject.split(" order ")[0] for m in mailoutbox] == ["We received your", "Your"]


def test_an_order_beyond_the_stock_is_rejected_with_the_reason(auth_client, catalogue, place) -> None:
    order = place(("DK", 2)).json()
    assert (order["status"], order["status_reason"]) == ("REJECTED", "insufficient stock for DK")
    assert Product.objects.get(sku="DK").reserved == 0
    assert subjects(auth_client) == ["We could not accept your", "We received your"]


def test_the_last_item_goes_to_one_order_only(auth_client, catalogue, place) -> None:
    first, second = place(("DK", 1)).json(), place(("DK", 1), email="bob@example.com").json()
    assert (first["status"], second["status"]) == ("CONFIRMED", "REJECTED")


def test_a_failing_subscriber_does_not_affect_the_order_or_the_other_subscribers(
    auth_client, catalogue, place, monkeypatch, caplog
) -> None:
    def smtp_down(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(notification_services, "send_mail", smtp_down)
    with caplog.at_level(logging.ERROR, logger="app.events.transport"):
        order = place(("KB", 1)).json()
    assert order["status"] == "CONFIRMED"
    assert Product.objects.get(sku="KB").reserved == 1
    failures = [r.getMessage() for r in caplog.records]
    assert any("notifications.order_received failed on event" in m for m in failures)
    assert subjects(auth_client) == []
