from uuid import UUID

from contracts.kernel.errors import NotFoundError


class PaymentNotFoundError(NotFoundError):
    code = "payment_not_found"

    def __init__(self, order_id: UUID) -> None:
        super().__init__(f"no payment for order {order_id}")
        self.order_id = order_id
