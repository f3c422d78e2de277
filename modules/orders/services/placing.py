from dataclasses import dataclass
from uuid import UUID

from django.db import transaction

from contracts.kernel.events import publish
from contracts.orders.events import OrderPlacedLineV1, OrderPlacedV1
from modules.orders import gateways
from modules.orders.domain.order import order_total
from modules.orders.models import Order, OrderLine
from modules.orders.services.saga import DB, saga_cancel, saga_start


@dataclass(frozen=True, kw_only=True)
class LineRequest:
    sku: str
    quantity: int


def order_place(*, customer_email: str, lines: tuple[LineRequest, ...], customer_id: str = "") -> Order:
    """Price the lines through inventory, then record the order, announce it and start its saga,
    atomically. Pricing happens before any write, so an unknown sku leaves nothing behind."""
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
        saga_start(order=order)
    return order


def order_cancel(*, order_id: UUID, reason: str = "cancelled by the customer") -> None:
    """Undo what the order's saga did so far; the order ends CANCELLED once everything is undone.
    Raises ``OrderNotCancellableError`` once the payment is captured (or the order is closed)."""
    saga_cancel(order_id=order_id, reason=reason)


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
