from dataclasses import dataclass
from uuid import UUID

from django.db import transaction

from contracts.kernel.events import publish
from contracts.orders.events import OrderConfirmedV1, OrderPlacedLineV1, OrderPlacedV1, OrderRejectedV1
from modules.orders import gateways
from modules.orders.domain import OrderStatus, check_transition, order_total
from modules.orders.models import Order, OrderLine

DB = "orders"


@dataclass(frozen=True, kw_only=True)
class LineRequest:
    sku: str
    quantity: int


def order_place(*, customer_email: str, lines: tuple[LineRequest, ...], customer_id: str = "") -> Order:
    """Price the lines through inventory, then record the order and announce it, atomically.

    Pricing happens before any write, so an unknown sku raises and leaves nothing behind.
    """
    skus = tuple(line.sku for line in lines)
    prices = {price.sku: price.unit_price for price in gateways.inventory().get_prices(skus=skus)}
    with transaction.atomic(using=DB):
        order = Order.objects.create(
            customer_email=customer_email,
            customer_id=customer_id,
            total=order_total((line.quantity, prices[line.sku]) for line in lines),
        )
        OrderLine.objects.bulk_create(
            OrderLine(order=order, sku=line.sku, quantity=line.quantity, unit_price=prices[line.sku]) for line in lines
        )
        publish(_order_placed(order))
    return order


def _order_placed(order: Order) -> OrderPlacedV1:
    return OrderPlacedV1(
        order_id=order.id,
        customer_email=order.customer_email,
        total=order.total,
        lines=tuple(
            OrderPlacedLineV1(sku=line.sku, quantity=line.quantity, unit_price=line.unit_price)
            for line in order.lines.all()
        ),
    )


def order_confirm(*, order_id: UUID) -> None:
    with transaction.atomic(using=DB):
        order = Order.objects.select_for_update().get(id=order_id)
        if _order_move(order, OrderStatus.CONFIRMED):
            publish(OrderConfirmedV1(order_id=order.id, customer_email=order.customer_email))


def order_reject(*, order_id: UUID, reason: str) -> None:
    with transaction.atomic(using=DB):
        order = Order.objects.select_for_update().get(id=order_id)
        if _order_move(order, OrderStatus.REJECTED, reason=reason):
            publish(OrderRejectedV1(order_id=order.id, customer_email=order.customer_email, reason=reason))


def _order_move(order: Order, target: OrderStatus, *, reason: str = "") -> bool:
    if not check_transition(OrderStatus(order.status), target):
        return False
    order.status = target
    order.rejection_reason = reason
    order.save(update_fields=["status", "rejection_reason", "updated_at"])
    return True
