from uuid import UUID

from contracts.orders.errors import OrderNotFoundError
from modules.orders.models import Order


def order_get(*, order_id: UUID) -> Order:
    try:
        return Order.objects.prefetch_related("lines").get(id=order_id)
    except Order.DoesNotExist:
        raise OrderNotFoundError(order_id) from None
