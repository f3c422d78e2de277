from decimal import Decimal

import pytest

from contracts.inventory.dto import ProductPrice
from contracts.inventory.errors import UnknownSkusError
from contracts.inventory.interface import InventoryInterface


class FakeInventory:
    """Inventory as orders sees it through the contract: a price list, nothing else."""

    def __init__(self, **prices: str) -> None:
        self._prices = {sku: Decimal(price) for sku, price in prices.items()}

    def get_prices(self, *, skus: tuple[str, ...]) -> tuple[ProductPrice, ...]:
        missing = tuple(sku for sku in dict.fromkeys(skus) if sku not in self._prices)
        if missing:
            raise UnknownSkusError(missing)
        return tuple(ProductPrice(sku=s, name=s, unit_price=self._prices[s], available=9) for s in dict.fromkeys(skus))


@pytest.fixture
def inventory(bind) -> FakeInventory:
    fake = FakeInventory(KB="10.00", MS="2.50")
    bind(InventoryInterface, fake)
    return fake
