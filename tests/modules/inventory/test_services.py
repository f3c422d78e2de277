import uuid
from decimal import Decimal

import pytest

from contracts.inventory.events import StockReservationFailedV1, StockReservedV1
from modules.inventory import services
from modules.inventory.models import Product, Reservation

pytestmark = pytest.mark.django_db(databases=["inventory"])


def test_product_ensure_creates_once_and_leaves_existing_products_alone(keyboard: Product) -> None:
    again, created = services.product_ensure(sku="KB", name="Other", unit_price=Decimal("1.00"), on_hand=99)
    assert (created, again.name, again.on_hand) == (False, "Keyboard", 5)


def test_reserving_available_stock_holds_it_and_announces_it(keyboard, mouse, published) -> None:
    order_id = uuid.uuid4()
    services.stock_reserve(order_id=order_id, lines=(("KB", 2), ("MS", 1), ("KB", 1)))
    assert Product.objects.get(sku="KB").reserved == 3
    assert Product.objects.get(sku="MS").available == 0
    assert published.events == [StockReservedV1(order_id=order_id)]


def test_a_shortfall_reserves_nothing_and_says_which_skus(keyboard, mouse, published) -> None:
    order_id = uuid.uuid4()
    reservation = services.stock_reserve(order_id=order_id, lines=(("KB", 1), ("MS", 2), ("ZZ", 1)))
    assert reservation.status == Reservation.Status.FAILED
    assert [p.reserved for p in Product.objects.all()] == [0, 0]
    [failed] = published.of_type(StockReservationFailedV1)
    assert failed.reason == "insufficient stock for MS, ZZ"


def test_reserving_twice_for_one_order_is_a_no_op(keyboard, published) -> None:
    order_id = uuid.uuid4()
    services.stock_reserve(order_id=order_id, lines=(("KB", 2),))
    services.stock_reserve(order_id=order_id, lines=(("KB", 2),))
    assert Product.objects.get(sku="KB").reserved == 2
    assert len(published.events) == 1
