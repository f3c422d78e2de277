"""Orders belong to their customer: another customer's order is 404, staff see every order, and
the principal reaches handlers through the event's actor claims."""

from typing import Any

import pytest

from app.events.models import OutboxEvent
from contracts.kernel.identity import current_principal
from modules.inventory import services as inventory_services

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)


@pytest.fixture
def anns_order(catalogue, place) -> dict[str, Any]:
    response = place(("KB", 1))
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body


def test_another_customers_order_is_not_found(anns_order, client_as) -> None:
    response = client_as(email="eve@example.com", subject="999").get(f"/api/orders/{anns_order['id']}")
    assert response.status_code == 404
    assert response.json()["code"] == "order_not_found"


def test_staff_see_every_order(anns_order, client_as) -> None:
    response = client_as(email="ops@example.com", staff=True).get(f"/api/orders/{anns_order['id']}")
    assert (response.status_code, response.json()["id"]) == (200, anns_order["id"])


def test_the_customer_sees_their_own_order(anns_order, auth_client) -> None:
    assert auth_client.get(f"/api/orders/{anns_order['id']}").status_code == 200


def test_events_carry_the_actors_claims_and_never_the_token(anns_order, customer) -> None:
    placed = OutboxEvent.objects.using("orders").get(type="orders.OrderPlacedV1")
    assert placed.headers["x-actor"] == f'{{"sub":"{customer.pk}","roles":["customer"],"email":"ann@example.com"}}'
    assert "Bearer" not in str(placed.headers)
    assert "eyJ" not in str(placed.headers)  # no JWT anywhere


def test_handlers_run_as_the_actor_of_the_event(catalogue, place, customer, monkeypatch) -> None:
    seen = []
    original = inventory_services.stock_reserve

    def spy(**kwargs: Any) -> object:
        seen.append(current_principal())
        return original(**kwargs)

    monkeypatch.setattr(inventory_services, "stock_reserve", spy)
    place(("KB", 1))
    [principal] = seen
    assert principal is not None
    assert (principal.subject, principal.email, principal.roles) == (str(customer.pk), "ann@example.com", ("customer",))


def test_a_request_does_not_leak_its_principal() -> None:
    assert current_principal() is None
