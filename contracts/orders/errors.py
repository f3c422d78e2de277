from uuid import UUID

from contracts.kernel.errors import ConflictError, NotFoundError


class OrderNotFoundError(NotFoundError):
    code = "order_not_found"

    def __init__(self, order_id: UUID) -> None:
        super().__init__(f"order {order_id} not found")
        self.order_id = order_id


class OrderNotCancellableError(ConflictError):
    code = "order_not_cancellable"

    def __init__(self, order_id: UUID, why: str) -> None:
        super().__init__(f"order {order_id} cannot be cancelled: {why}")
        self.order_id = order_id
        self.why = why


class SagaNotStuckError(ConflictError):
    code = "saga_not_stuck"

    def __init__(self, order_id: UUID, why: str) -> None:
        super().__init__(f"the saga of order {order_id} cannot be retried: {why}")
        self.order_id = order_id
        self.why = why
