from uuid import UUID

from contracts.kernel.errors import NotFoundError


class OrderNotFoundError(NotFoundError):
    code = "order_not_found"

    def __init__(self, order_id: UUID) -> None:
        super().__init__(f"order {order_id} not found")
        self.order_id = order_id
