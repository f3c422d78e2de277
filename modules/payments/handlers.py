"""The commands payments carries out (sent by the order saga), each answered by an event.

A handler runs inside the consumer's transaction on the payments database (the inbox mark and the
handler's effects commit together), so it only decides and records: the provider is called after
commit (see services). Re-sent and reordered commands are expected and answered, not repeated.
"""

from contracts.kernel.subscriptions import Subscription
from contracts.payments.commands import AuthorizePaymentV1, CapturePaymentV1, VoidPaymentV1
from modules.payments import services


def on_authorize_payment(command: AuthorizePaymentV1) -> None:
    services.payment_authorize_request(
        command_id=command.command_id,
        order_id=command.order_id,
        amount=command.amount,
        currency=command.currency,
        customer_email=command.customer_email,
    )


def on_capture_payment(command: CapturePaymentV1) -> None:
    services.payment_capture_request(command_id=command.command_id, order_id=command.order_id)


def on_void_payment(command: VoidPaymentV1) -> None:
    services.payment_void_request(command_id=command.command_id, order_id=command.order_id)


SUBSCRIPTIONS = (
    Subscription(id="payments.authorize", event_type=AuthorizePaymentV1, handler=on_authorize_payment),
    Subscription(id="payments.capture", event_type=CapturePaymentV1, handler=on_capture_payment),
    Subscription(id="payments.void", event_type=VoidPaymentV1, handler=on_void_payment),
)
