from decimal import Decimal

import pytest

from contracts.inventory.errors import UnknownSkusError
from contracts.orders.events import OrderConfirmedV1, OrderPlacedLineV1, OrderPlacedV1, OrderRejectedV1
from modules.orders import services
from modules.orders.domain import InvalidTransitionError
from modules.orders.models import Order

pytestmark = pytest.mark.django_db(databases=["orders"])

LINES = (services.LineRequest(sku="KB", quantity=2), services.LineRequest(sku="MS", quantity=1))


def test_placing_prices_through_inventory_and_announces_the_order(inventory, published) -> None:
    order = services.order_place(customer_email="a@example.com", lines=LINES)
    assert (order.status, order.total) == ("PLACED", Decimal("22.50"))
    assert published.events == [
        OrderPlacedV1(
            order_id=order.id,
            customer_email="a@example.com",
            total=Decimal("22.50"),
            lines=(
                OrderPlacedLineV1(sku="KB", quantity=2, unit_price=Decimal("10.00")),
                OrderPlacedLineV1(sku="MS", quantity=1, unit_price=Decimal("2.50")),
            ),
        )
    ]


def test_an_unknown_sku_writes_nothing_and_publishes_nothing(inventory, published) -> None:
    with pytest.raises(UnknownSkusError):
        services.order_place(customer_email="a@example.com", lines=(*LINES, services.LineRequest(sku="ZZ", quantity=1)))
    assert Order.objects.count() == 0
    assert published.events == []


def test_confirming_twice_announces_once(inventory, published) -> None:
    order = services.order_place(customer_email="a@example.com", lines=LINES)
    services.order_confirm(order_id=order.id)
    services.order_confirm(order_id=order.id)
    assert Order.objects.get().status == "CONFIRMED"
    assert len(published.of_type(OrderConfirmedV1)) == 1


def test_rejecting_keeps_the_reason_and_tells_the_customer(inventory, published) -> None:
    order = services.order_place(customer_email="a@example.com", lines=LINES)
    services.order_reject(order_id=order.id, reason="insufficient stock for KB")
    assert Order.objects.get().rejection_reason == "insufficient stock for KB"
    [rejected] = published.of_type(OrderRejectedV1)
    assert rejected.reason == "insufficient stock for KB"


def test_a_confirmed_order_is_not_rejected_later(inventory, published) -> None:
    order = services.order_place(customer_email="a@example.com", lines=LINES)
    services.order_confirm(order_id=order.id)
    with pytest.raises(InvalidTransitionError):
        services.order_reject(order_id=order.id, reason="late")
    assert Order.objects.get().status == "CONFIRMED"
