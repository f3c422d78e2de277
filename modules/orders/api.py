from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from contracts.kernel.errors import PermissionDeniedError
from contracts.kernel.identity import current_principal
from modules.orders import selectors, services
from modules.orders.domain.order import OrderStatus
from modules.orders.domain.saga import SagaState
from modules.orders.models import Order
from modules.orders.schemas import OrderCreateIn, OrderOut

router = Router(tags=["orders"])


@router.post("", response={201: OrderOut}, summary="Place an order (starts its saga)")
def order_create(request: HttpRequest, payload: OrderCreateIn) -> Status[Order]:
    principal = current_principal()
    order = services.order_place(
        customer_email=payload.customer_email,
        lines=tuple(services.LineRequest(sku=line.sku, quantity=line.quantity) for line in payload.lines),
        customer_id=principal.subject if principal else "",
    )
    return Status(201, selectors.order_get(order_id=order.id, viewer=principal))


@router.get("", response=list[OrderOut], summary="List your orders (staff: every order), newest first")
@paginate(LimitOffsetPagination)
def order_list(
    request: HttpRequest, status: OrderStatus | None = None, saga_state: SagaState | None = None
) -> QuerySet[Order]:
    return selectors.order_list(viewer=current_principal(), status=status, saga_state=saga_state)


@router.get("/{order_id}", response=OrderOut, summary="Get an order, its status and its saga's steps")
def order_detail(request: HttpRequest, order_id: UUID) -> Order:
    return selectors.order_get(order_id=order_id, viewer=current_principal())


@router.post(
    "/{order_id}/cancel",
    response={202: OrderOut},
    summary="Cancel an order whose payment is not captured yet (its saga undoes what it did)",
)
def order_cancel(request: HttpRequest, order_id: UUID) -> Status[Order]:
    viewer = current_principal()
    selectors.order_get(order_id=order_id, viewer=viewer)  # someone else's order: 404
    services.order_cancel(order_id=order_id)
    return Status(202, selectors.order_get(order_id=order_id, viewer=viewer))


@router.post("/{order_id}/saga/retry", response={202: OrderOut}, summary="Ask a stuck saga step again (staff)")
def saga_retry(request: HttpRequest, order_id: UUID) -> Status[Order]:
    viewer = current_principal()
    if viewer is None or not viewer.is_staff:
        raise PermissionDeniedError("only staff may retry a saga")
    services.saga_retry(order_id=order_id)
    return Status(202, selectors.order_get(order_id=order_id, viewer=viewer))
