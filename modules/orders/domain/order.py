"""An order's status and total."""

from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum

CURRENCY = "EUR"


class OrderStatus(StrEnum):
    PENDING = "PENDING"  # its saga is running
    PAYMENT_QUEUED = "PAYMENT_QUEUED"  # the payment provider is unreachable; retried in the background
    CONFIRMED = "CONFIRMED"  # stock reserved and payment authorized: the pivot, never undone
    REJECTED = "REJECTED"  # stock or payment said no (see the reason)
    CANCELLED = "CANCELLED"  # the customer cancelled it before its payment was captured


def order_total(lines: Iterable[tuple[int, Decimal]]) -> Decimal:
    return sum((quantity * unit_price for quantity, unit_price in lines), Decimal("0.00"))
