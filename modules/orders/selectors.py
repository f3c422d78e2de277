from uuid import UUID

from django.db.models import Prefetch, QuerySet

from contracts.kernel.identity import Principal
from contracts.orders.errors import OrderNotFoundError
from modules.orders.models import Order, SagaStep


def _orders() -> QuerySet[Order]:
    return Order.objects.select_related("saga").prefetch_related(
        "lines", Prefetch("saga__steps", queryset=SagaStep.objects.order_by("started_at", "id"))
    )


def order_get(*, order_id: UUID, viewer: Principal | None) -> Order:
    """The order, if ``viewer`` may see it: its customer or staff (None: trusted system code).
    Someone else's order is reported as missing, so its existence does not leak."""
    try:
        order = _orders().get(id=order_id)
    except Order.DoesNotExist:
        raise OrderNotFoundError(order_id) from None
    if viewer is not None and not viewer.may_see(order.customer_id):
        raise OrderNotFoundError(order_id)
    return order


def order_list(
    *, viewer: Principal | None, status: str | None = None, saga_state: str | None = None
) -> QuerySet[Order]:
    """The orders ``viewer`` may see (staff: every order), newest first, optionally filtered."""
    orders = _orders()
    if viewer is not None and not viewer.is_staff:
        orders = orders.filter(customer_id=viewer.subject)
    if status:
        orders = orders.filter(status=status)
    if saga_state:
        orders = orders.filter(saga__state=saga_state)
    return orders
