from typing import Protocol
from uuid import UUID

from contracts.kernel.markers import idempotent
from contracts.payments.dto import PaymentSummary


class PaymentsInterface(Protocol):
    @idempotent
    def get_payment(self, *, order_id: UUID) -> PaymentSummary:
        """The payment of one order. Raises ``PaymentNotFoundError``."""
        ...
