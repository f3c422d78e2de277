"""Demo catalogue for `make run`; safe to load repeatedly (existing skus are left alone)."""

from decimal import Decimal

from modules.inventory import services

PRODUCTS = (
    ("KB-001", "Mechanical keyboard", Decimal("89.00"), 25),
    ("MS-002", "Wireless mouse", Decimal("24.50"), 40),
    ("MN-003", "27-inch monitor", Decimal("229.99"), 8),
    ("CB-004", "USB-C cable", Decimal("9.90"), 100),
    ("DK-005", "Docking station (last one)", Decimal("149.00"), 1),
)


def load() -> int:
    created = [services.product_ensure(sku=s, name=n, unit_price=p, on_hand=q)[1] for s, n, p, q in PRODUCTS]
    return sum(created)
