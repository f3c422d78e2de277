import uuid
from decimal import Decimal

import pytest

from contracts.inventory.events import StockReleasedV1, StockReservationFailedV1, StockReservedV1
from modules.inventory import services
from modules.inventory.models import Product, Reservation

pytestmark = pytest.mark.django_db(databases=["inventory"])

COMMAND = uuid.uuid4()


def test_product_ensure_creates_once_and_leaves_existing_products_alone(keyboard: Product) -> None:
    again, created = services.product_ensure(sku="KB", name="Other", unit_price=Decimal("1.00"), on_hand=99)
    assert (created, again.name, again.on_hand) == (False, "Keyboard", 5)


def reserve(order_id: uuid.UUID, *lines: tuple[str, int], command_id: uuid.UUID = COMMAND) -> Reservation:
    return services.stock_reserve(command_id=command_id, order_id=order_id, lines=lines)


def release(order_id: uuid.UUID, command_id: uuid.UUID = COMMAND) -> Reservation:
    return services.stock_release(command_id=command_id, order_id=order_id)


def test_reserving_available_stock_holds_it_and_answers(keyboard, mouse, published) -> None:
    order_id = uuid.uuid4()
    reserve(order_id, ("KB", 2), ("MS", 1), ("KB", 1))
    assert Product.objects.get(sku="KB").reserved == 3
    assert Product.objects.get(sku="MS").available == 0
    assert published.events == [StockReservedV1(order_id=order_id, command_id=COMMAND)]


def test_a_shortfall_reserves_nothing_and_says_which_skus(keyboard, mouse, published) -> None:
    order_id = uuid.uuid4()
    reservation = reserve(order_id, ("KB", 1), ("MS", 2), ("ZZ", 1))
    assert reservation.status == Reservation.Status.FAILED
    assert [p.reserved for p in Product.objects.all()] == [0, 0]
    [failed] = published.of_type(StockReservationFailedV1)
    assert failed.reason == "insufficient stock for MS, ZZ"


def test_a_resent_reservation_reserves_nothing_more_and_answers_again(keyboard, published) -> None:
    order_id, resent = uuid.uuid4(), uuid.uuid4()
    reserve(order_id, ("KB", 2))
    reserve(order_id, ("KB", 2), command_id=resent)
    assert Product.objects.get(sku="KB").reserved == 2
    assert published.events == [
        StockReservedV1(order_id=order_id, command_id=COMMAND),
        StockReservedV1(order_id=order_id, command_id=resent),
    ]


def test_releasing_gives_the_stock_back_once_and_answers_every_time(keyboard, published) -> None:
    order_id = uuid.uuid4()
    reserve(order_id, ("KB", 2))
    release(order_id)
    release(order_id)
    assert Product.objects.get(sku="KB").reserved == 0
    assert published.of_type(StockReleasedV1) == [StockReleasedV1(order_id=order_id, command_id=COMMAND)] * 2


def test_a_release_that_overtakes_its_reservation_refuses_the_reservation(keyboard, published) -> None:
    order_id = uuid.uuid4()
    release(order_id)
    reservation = reserve(order_id, ("KB", 2))
    assert (reservation.status, Product.objects.get(sku="KB").reserved) == ("RELEASED", 0)
    [refused] = published.of_type(StockReservationFailedV1)
    assert "cancelled before" in refused.reason


def test_releasing_a_failed_reservation_gives_nothing_back(keyboard, mouse, published) -> None:
    order_id = uuid.uuid4()
    reserve(order_id, ("KB", 9))
    release(order_id)
    assert Product.objects.get(sku="KB").reserved == 0
    assert Reservation.objects.get().status == "FAILED"
