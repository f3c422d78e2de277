from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from contracts.kernel.events import Event


@dataclass(frozen=True, kw_only=True)
class StockReservedV1(Event):
    subject_field: ClassVar[str] = "order_id"
    order_id: UUID
    command_id: UUID  # the ReserveStockV1 this answers


@dataclass(frozen=True, kw_only=True)
class StockReservationFailedV1(Event):
    subject_field: ClassVar[str] = "order_id"
    order_id: UUID
    command_id: UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class StockReleasedV1(Event):
    subject_field: ClassVar[str] = "order_id"
    order_id: UUID
    command_id: UUID  # the ReleaseStockV1 this answers
