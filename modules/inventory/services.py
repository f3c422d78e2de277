from decimal import Decimal
from uuid import UUID

from django.db import transaction

from contracts.inventory.events import StockReleasedV1, StockReservationFailedV1, StockReservedV1
from contracts.kernel.events import publish
from modules.inventory.domain import merge_quantities, shortages
from modules.inventory.models import Product, Reservation, ReservationLine

DB = "inventory"
RELEASED_FIRST = "the order was cancelled before its stock was reserved"


def product_ensure(*, sku: str, name: str, unit_price: Decimal, on_hand: int) -> tuple[Product, bool]:
    """Create the product unless its sku exists; an existing product is left as it is."""
    with transaction.atomic(using=DB):
        return Product.objects.get_or_create(
            sku=sku, defaults={"name": name, "unit_price": unit_price, "on_hand": on_hand}
        )


def stock_reserve(*, command_id: UUID, order_id: UUID, lines: tuple[tuple[str, int], ...]) -> Reservation:
    """Reserve all of an order's lines or none of them, and answer. Asked again, the first
    answer is given again; nothing is reserved twice."""
    with transaction.atomic(using=DB):
        existing = Reservation.objects.select_for_update().filter(order_id=order_id).first()
        if existing is not None:
            _reservation_answer(existing, command_id=command_id)
            return existing
        wanted = merge_quantities(lines)
        products = {p.sku: p for p in Product.objects.select_for_update().filter(sku__in=wanted)}
        missing = shortages(wanted=wanted, available={s: p.available for s, p in products.items()})
        if missing:
            reason = f"insufficient stock for {', '.join(missing)}"
            reservation = Reservation.objects.create(order_id=order_id, status=Reservation.Status.FAILED, reason=reason)
        else:
            reservation = _reservation_hold(order_id=order_id, wanted=wanted, products=products)
        _reservation_answer(reservation, command_id=command_id)
        return reservation


def stock_release(*, command_id: UUID, order_id: UUID) -> Reservation:
    """Give an order's reserved stock back (compensation), and answer. Releasing twice, or
    releasing what was never reserved, gives nothing back twice; a release that comes first
    leaves a tombstone that refuses the reservation when it arrives."""
    with transaction.atomic(using=DB):
        reservation, created = Reservation.objects.select_for_update().get_or_create(
            order_id=order_id, defaults={"status": Reservation.Status.RELEASED, "reason": RELEASED_FIRST}
        )
        if not created and reservation.status == Reservation.Status.RESERVED:
            _reservation_free(reservation)
        publish(StockReleasedV1(order_id=order_id, command_id=command_id))
        return reservation


def _reservation_hold(*, order_id: UUID, wanted: dict[str, int], products: dict[str, Product]) -> Reservation:
    for sku, quantity in wanted.items():
        products[sku].reserved += quantity
    Product.objects.bulk_update(products.values(), ["reserved"])
    reservation = Reservation.objects.create(order_id=order_id, status=Reservation.Status.RESERVED)
    ReservationLine.objects.bulk_create(
        ReservationLine(reservation=reservation, sku=sku, quantity=qty) for sku, qty in wanted.items()
    )
    return reservation


def _reservation_free(reservation: Reservation) -> None:
    wanted = {line.sku: line.quantity for line in reservation.lines.all()}
    products = list(Product.objects.select_for_update().filter(sku__in=wanted))
    for product in products:
        product.reserved -= wanted[product.sku]
    Product.objects.bulk_update(products, ["reserved"])
    reservation.status = Reservation.Status.RELEASED
    reservation.save(update_fields=["status", "updated_at"])


def _reservation_answer(reservation: Reservation, *, command_id: UUID) -> None:
    if reservation.status == Reservation.Status.RESERVED:
        publish(StockReservedV1(order_id=reservation.order_id, command_id=command_id))
    else:
        publish(
            StockReservationFailedV1(order_id=reservation.order_id, command_id=command_id, reason=reservation.reason)
        )
