from typing import Protocol

from contracts.inventory.dto import ProductPrice


class InventoryInterface(Protocol):
    def get_prices(self, *, skus: tuple[str, ...]) -> tuple[ProductPrice, ...]:
        """The current price of each sku, in the order asked. Raises ``UnknownSkusError``."""
        ...
