from uuid import UUID

from contracts.kernel.identity import current_principal
from contracts.orders.dto import OrderLine, OrderSummary
from modules.orders import selectors
from modules.orders.models import Order


class OrdersFacade:
    """The in-process implementation of ``contracts.orders.interface.OrdersInterface``."""

    def get_order(self, *, order_id: UUID) -> OrderSummary:
        return _summary(selectors.order_get(order_id=order_id, viewer=current_principal()))


def _summary(order: Order) -> OrderSummary:
    return OrderSummary(
        id=order.id,
        status=order.status,
        status_reason=order.status_reason,
        customer_email=order.customer_email,
        total=order.total,
        lines=tuple(
            OrderLine(sku=line.sku, quantity=line.quantity, unit_price=line.unit_price) for line in order.lines.all()
        ),
    )
