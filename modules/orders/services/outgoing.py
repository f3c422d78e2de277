"""What the saga sends and announces: the command for each step, the event for each status."""

from contracts.inventory.commands import ReleaseStockV1, ReserveStockV1, StockLineV1
from contracts.kernel.commands import Command, command_id_for
from contracts.kernel.events import Event
from contracts.orders.events import OrderCancelledV1, OrderConfirmedV1, OrderRejectedV1
from contracts.payments.commands import AuthorizePaymentV1, CapturePaymentV1, VoidPaymentV1
from modules.orders.domain.order import CURRENCY, OrderStatus
from modules.orders.domain.saga import Step
from modules.orders.models import Order


def command_for(step: Step, order: Order) -> Command:
    """The step's command, with the same id however often it is sent."""
    command_id = command_id_for(process_id=order.id, step=step.value)
    if step == Step.RESERVE_STOCK:
        lines = tuple(StockLineV1(sku=line.sku, quantity=line.quantity) for line in order.lines.all())
        return ReserveStockV1(command_id=command_id, order_id=order.id, lines=lines)
    if step == Step.AUTHORIZE_PAYMENT:
        return AuthorizePaymentV1(
            command_id=command_id,
            order_id=order.id,
            amount=order.total,
            currency=CURRENCY,
            customer_email=order.customer_email,
        )
    simple = {
        Step.CAPTURE_PAYMENT: CapturePaymentV1,
        Step.VOID_PAYMENT: VoidPaymentV1,
        Step.RELEASE_STOCK: ReleaseStockV1,
    }
    return simple[step](command_id=command_id, order_id=order.id)


def event_for(order: Order) -> Event | None:
    """The event announcing the order's new status, if customers hear about it."""
    if order.status == OrderStatus.CONFIRMED:
        return OrderConfirmedV1(order_id=order.id, customer_email=order.customer_email)
    if order.status == OrderStatus.REJECTED:
        return OrderRejectedV1(order_id=order.id, customer_email=order.customer_email, reason=order.status_reason)
    if order.status == OrderStatus.CANCELLED:
        return OrderCancelledV1(order_id=order.id, customer_email=order.customer_email, reason=order.status_reason)
    return None
