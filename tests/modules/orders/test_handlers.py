import pytest

from contracts.inventory.events import StockReservationFailedV1, StockReservedV1
from modules.orders import handlers, services
from modules.orders.models import Order

pytestmark = pytest.mark.django_db(databases=["orders"])


def place() -> Order:
    return services.order_place(customer_email="a@example.com", lines=(services.LineRequest(sku="KB", quantity=1),))


def test_stock_reserved_confirms_the_order(inventory, published) -> None:
    order = place()
    handlers.on_stock_reserved(StockReservedV1(order_id=order.id))
    assert Order.objects.get().status == "CONFIRMED"


def test_a_failed_reservation_rejects_the_order_with_its_reason(inventory, published) -> None:
    order = place()
    handlers.on_stock_reservation_failed(StockReservationFailedV1(order_id=order.id, reason="no stock"))
    assert (Order.objects.get().status, Order.objects.get().rejection_reason) == ("REJECTED", "no stock")
