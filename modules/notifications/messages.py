"""The wording of each email, kept apart from how and when it is sent."""

from dataclasses import dataclass

from contracts.orders.events import OrderCancelledV1, OrderConfirmedV1, OrderPlacedV1, OrderRejectedV1


@dataclass(frozen=True, kw_only=True)
class Message:
    recipient: str
    subject: str
    body: str
    reference: str


def order_received(event: OrderPlacedV1) -> Message:
    lines = "\n".join(f"  {line.quantity} x {line.sku} at {line.unit_price}" for line in event.lines)
    return Message(
        recipient=event.customer_email,
        subject=f"We received your order {event.order_id}",
        body=f"Thank you for your order.\n\n{lines}\n\nTotal: {event.total}\n",
        reference=f"{event.event_type()}:{event.order_id}",
    )


def order_confirmed(event: OrderConfirmedV1) -> Message:
    return Message(
        recipient=event.customer_email,
        subject=f"Your order {event.order_id} is confirmed",
        body="Good news: every item of your order is reserved for you and your payment is authorized.\n",
        reference=f"{event.event_type()}:{event.order_id}",
    )


def order_rejected(event: OrderRejectedV1) -> Message:
    return Message(
        recipient=event.customer_email,
        subject=f"We could not accept your order {event.order_id}",
        body=f"We are sorry: {event.reason}.\n",
        reference=f"{event.event_type()}:{event.order_id}",
    )


def order_cancelled(event: OrderCancelledV1) -> Message:
    return Message(
        recipient=event.customer_email,
        subject=f"Your order {event.order_id} is cancelled",
        body=f"Your order is cancelled ({event.reason}). Nothing will be charged.\n",
        reference=f"{event.event_type()}:{event.order_id}",
    )
