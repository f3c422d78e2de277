"""What the order saga (or any module) may ask inventory to do; answered by inventory's events."""

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from contracts.kernel.commands import Command


@dataclass(frozen=True, kw_only=True)
class StockLineV1:
    sku: str
    quantity: int


@dataclass(frozen=True, kw_only=True)
class ReserveStockV1(Command):
    """Reserve every line for the order, or none. Answered by ``StockReservedV1`` or
    ``StockReservationFailedV1``; asked again, the same answer is given again."""

    subject_field: ClassVar[str] = "order_id"
    order_id: UUID
    lines: tuple[StockLineV1, ...]


@dataclass(frozen=True, kw_only=True)
class ReleaseStockV1(Command):
    """Give back what was reserved for the order (compensation). Answered by ``StockReleasedV1``,
    also when nothing was reserved; a reservation asked for after its release is refused."""

    subject_field: ClassVar[str] = "order_id"
    order_id: UUID
