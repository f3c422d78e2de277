from uuid import UUID

from contracts.kernel.identity import Principal
from contracts.orders.errors import OrderNotFoundError
from modules.orders.models import Order


def order_get(*, order_id: UUID, viewer: Principal | None) -> Order:
    """The order, if ``viewer`` may see it: its customer or staff (None: trusted system code).
    Someone else's order is reported as missing, so its existence does not leak."""
    try:
        order = Order.objects.prefetch_related("lines").get(id=order_id)
    except Order.DoesNotExist:
        raise OrderNotFoundError(order_id) from None
    if viewer is not None and not viewer.may_see(order.customer_id):
        raise OrderNotFoundError(order_id)
    return order
