from uuid import UUID

from contracts.payments.dto import PaymentSummary
from modules.payments import selectors
from modules.payments.models import Payment


class PaymentsFacade:
    """The in-process implementation of ``contracts.payments.interface.PaymentsInterface``."""

    def get_payment(self, *, order_id: UUID) -> PaymentSummary:
        return _summary(selectors.payment_get(order_id=order_id))


def _summary(payment: Payment) -> PaymentSummary:
    return PaymentSummary(
        order_id=payment.order_id,
        amount=payment.amount,
        currency=payment.currency,
        status=payment.status,
        provider_reference=payment.provider_reference,
        decline_reason=payment.decline_reason,
        updated_at=payment.updated_at,
    )
