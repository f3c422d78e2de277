"""Orders follows inventory's answer to its OrderPlaced event."""

from contracts.inventory.events import StockReservationFailedV1, StockReservedV1
from contracts.kernel.subscriptions import Subscription
from modules.orders import services


def on_stock_reserved(event: StockReservedV1) -> None:
    services.order_confirm(order_id=event.order_id)


def on_stock_reservation_failed(event: StockReservationFailedV1) -> None:
    services.order_reject(order_id=event.order_id, reason=event.reason)


SUBSCRIPTIONS = (
    Subscription(id="orders.confirm_on_stock_reserved", event_type=StockReservedV1, handler=on_stock_reserved),
    Subscription(
        id="orders.reject_on_stock_reservation_failed",
        event_type=StockReservationFailedV1,
        handler=on_stock_reservation_failed,
    ),
)
