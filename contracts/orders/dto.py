from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID


@dataclass(frozen=True, kw_only=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True, kw_only=True)
class OrderSummary:
    id: UUID
    status: str  # PENDING, PAYMENT_QUEUED, CONFIRMED, REJECTED or CANCELLED
    status_reason: str  # why it was rejected or cancelled
    customer_email: str
    total: Decimal
    lines: tuple[OrderLine, ...]
