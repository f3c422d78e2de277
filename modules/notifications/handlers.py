"""Every order event the customer should hear about becomes one email."""

from contracts.kernel.subscriptions import Subscription
from contracts.orders.events import OrderCancelledV1, OrderConfirmedV1, OrderPlacedV1, OrderRejectedV1
from modules.notifications import messages, services


def on_order_placed(event: OrderPlacedV1) -> None:
    services.notification_send(message=messages.order_received(event))


def on_order_confirmed(event: OrderConfirmedV1) -> None:
    services.notification_send(message=messages.order_confirmed(event))


def on_order_rejected(event: OrderRejectedV1) -> None:
    services.notification_send(message=messages.order_rejected(event))


def on_order_cancelled(event: OrderCancelledV1) -> None:
    services.notification_send(message=messages.order_cancelled(event))


SUBSCRIPTIONS = (
    Subscription(id="notifications.order_received", event_type=OrderPlacedV1, handler=on_order_placed),
    Subscription(id="notifications.order_confirmed", event_type=OrderConfirmedV1, handler=on_order_confirmed),
    Subscription(id="notifications.order_rejected", event_type=OrderRejectedV1, handler=on_order_rejected),
    Subscription(id="notifications.order_cancelled", event_type=OrderCancelledV1, handler=on_order_cancelled),
)
