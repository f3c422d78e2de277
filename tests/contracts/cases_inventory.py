"""Conformance cases for contracts.inventory (see tests/contracts/conformance.py)."""

from decimal import Decimal

from contracts.inventory.dto import ProductPrice
from contracts.inventory.errors import UnknownSkusError
from modules.inventory import services
from tests.contracts.conformance import Case


def catalogue() -> None:
    services.product_ensure(sku="KB", name="Keyboard", unit_price=Decimal("10.00"), on_hand=5)
    services.product_ensure(sku="MS", name="Mouse", unit_price=Decimal("2.50"), on_hand=1)


KEYBOARD = ProductPrice(sku="KB", name="Keyboard", unit_price=Decimal("10.00"), available=5)
MOUSE = ProductPrice(sku="MS", name="Mouse", unit_price=Decimal("2.50"), available=1)

CASES = (
    Case(
        name="known skus come back in the order asked",
        method="get_prices",
        given=catalogue,
        arguments={"skus": ("MS", "KB")},
        expect=(MOUSE, KEYBOARD),
    ),
    Case(
        name="a sku asked twice is priced once",
        method="get_prices",
        given=catalogue,
        arguments={"skus": ("KB", "KB")},
        expect=(KEYBOARD,),
    ),
    Case(name="no skus, no prices", method="get_prices", given=catalogue, arguments={"skus": ()}, expect=()),
    Case(
        name="unknown skus are named, in the order asked",
        method="get_prices",
        given=catalogue,
        arguments={"skus": ("ZZ", "KB", "NOPE")},
        expect=UnknownSkusError(("ZZ", "NOPE")),
    ),
)
