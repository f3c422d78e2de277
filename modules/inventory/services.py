from decimal import Decimal
from uuid import UUID

from django.db import transaction

from contracts.inventory.events import StockReservationFailedV1, StockReservedV1
from contracts.kernel.events import publish
from modules.inventory.domain import merge_quantities, shortages
from modules.inventory.models import Product, Reservation, ReservationLine

DB = "inventory"


def product_ensure(*, sku: str, name: str, unit_price: Decimal, on_hand: int) -> tuple[Product, bool]:
    """Create the product unless its sku exists; an existing product is left as it is."""
    with transaction.atomic(using=DB):
        return Product.objects.get_or_create(
            sku=sku, defaults={"name": name, "unit_price": unit_price, "on_hand": on_hand}
        )


def stock_reserve(*, order_id: UUID, lines: tuple[tuple[str, int], ...]) -> Reservation:
    """Reserve all of an order's lines or none of them; a second call for the order is a no-op."""
    with transaction.atomic(using=DB):
        existing = Reservation.objects.filter(order_id=order_id).first()
        if existing is not None:
            return existing
        wanted = merge_quantities(lines)
        products = {p.sku: p for p in Product.objects.select_for_update().filter(sku__in=wanted)}
        missing = shortages(wanted=wanted, available={s: p.available for s, p in products.items()})
        if missing:
            return _reservation_fail(order_id=order_id, reason=f"insufficient stock for {', '.join(missing)}")
        return _reservation_hold(order_id=order_id, wanted=wanted, products=products)


def _reservation_hold(*, order_id: UUID, wanted: dict[str, int], products: dict[str, Product]) -> Reservation:
    for sku, quantity in wanted.items():
        products[sku].reserved += quantity
    Product.objects.bulk_update(products.values(), ["reserved"])
    reservation = Reservation.objects.create(order_id=order_id, status=Reservation.Status.RESERVED)
    ReservationLine.objects.bulk_create(
        ReservationLine(reservation=reservation, sku=sku, quantity=qty) for sku, qty in wanted.items()
    )
    publish(StockReservedV1(order_id=order_id))
    return reservation


def _reservation_fail(*, order_id: UUID, reason: str) -> Reservation:
    reservation = Reservation.objects.create(order_id=order_id, status=Reservation.Status.FAILED, reason=reason)
    publish(StockReservationFailedV1(order_id=order_id, reason=reason))
    return reservation
