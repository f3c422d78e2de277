from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from contracts.kernel.events import Event


@dataclass(frozen=True, kw_only=True)
class OrderPlacedLineV1:
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True, kw_only=True)
class OrderPlacedV1(Event):
    subject_field: ClassVar[str] = "order_id"
    order_id: UUID
    customer_email: str
    total: Decimal
    lines: tuple[OrderPlacedLineV1, ...]


@dataclass(frozen=True, kw_only=True)
class OrderConfirmedV1(Event):
    subject_field: ClassVar[str] = "order_id"
    order_id: UUID
    customer_email: str


@dataclass(frozen=True, kw_only=True)
class OrderRejectedV1(Event):
    subject_field: ClassVar[str] = "order_id"
    order_id: UUID
    customer_email: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class OrderCancelledV1(Event):
    subject_field: ClassVar[str] = "order_id"
    order_id: UUID
    customer_email: str
    reason: str
