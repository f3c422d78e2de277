"""Pure order rules: status transitions and totals. No Django."""

from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum


class OrderStatus(StrEnum):
    PLACED = "PLACED"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"


ALLOWED_TRANSITIONS = {
    OrderStatus.PLACED: frozenset({OrderStatus.CONFIRMED, OrderStatus.REJECTED}),
    OrderStatus.CONFIRMED: frozenset(),
    OrderStatus.REJECTED: frozenset(),
}


class InvalidTransitionError(ValueError):
    pass


def check_transition(current: OrderStatus, target: OrderStatus) -> bool:
    """True if the move must happen, False if it already has (a redelivered event)."""
    if current == target:
        return False
    if target not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransitionError(f"an order cannot go from {current} to {target}")
    return True


def order_total(lines: Iterable[tuple[int, Decimal]]) -> Decimal:
    return sum((quantity * unit_price for quantity, unit_price in lines), Decimal("0.00"))
