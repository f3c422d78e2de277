from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Status

from contracts.kernel.identity import current_principal
from modules.orders import selectors, services
from modules.orders.models import Order
from modules.orders.schemas import OrderCreateIn, OrderOut

router = Router(tags=["orders"])


@router.post("", response={201: OrderOut}, summary="Place an order")
def order_create(request: HttpRequest, payload: OrderCreateIn) -> Status[Order]:
    principal = current_principal()
    order = services.order_place(
        customer_email=payload.customer_email,
        lines=tuple(services.LineRequest(sku=line.sku, quantity=line.quantity) for line in payload.lines),
        customer_id=principal.subject if principal else "",
    )
    return Status(201, selectors.order_get(order_id=order.id, viewer=principal))


@router.get("/{order_id}", response=OrderOut, summary="Get an order and its status")
def order_detail(request: HttpRequest, order_id: UUID) -> Order:
    return selectors.order_get(order_id=order_id, viewer=current_principal())
