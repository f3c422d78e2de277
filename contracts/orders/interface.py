from typing import Protocol
from uuid import UUID

from contracts.kernel.markers import idempotent
from contracts.orders.dto import OrderSummary


class OrdersInterface(Protocol):
    @idempotent
    def get_order(self, *, order_id: UUID) -> OrderSummary:
        """One order with its lines. Raises ``OrderNotFoundError``."""
        ...
