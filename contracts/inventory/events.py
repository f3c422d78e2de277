from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from contracts.kernel.events import Event


@dataclass(frozen=True, kw_only=True)
class StockReservedV1(Event):
    subject_field: ClassVar[str] = "order_id"
    order_id: UUID


@dataclass(frozen=True, kw_only=True)
class StockReservationFailedV1(Event):
    subject_field: ClassVar[str] = "order_id"
    order_id: UUID
    reason: str
