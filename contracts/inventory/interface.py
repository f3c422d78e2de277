from typing import Protocol

from contracts.inventory.dto import ProductPrice
from contracts.kernel.markers import idempotent


class InventoryInterface(Protocol):
    @idempotent
    def get_prices(self, *, skus: tuple[str, ...]) -> tuple[ProductPrice, ...]:
        """The current price of each sku, in the order asked. Raises ``UnknownSkusError``."""
        ...
