from contracts.inventory.dto import ProductPrice
from modules.inventory import selectors


class InventoryFacade:
    """The in-process implementation of ``contracts.inventory.interface.InventoryInterface``."""

    def get_prices(self, *, skus: tuple[str, ...]) -> tuple[ProductPrice, ...]:
        return tuple(
            ProductPrice(sku=p.sku, name=p.name, unit_price=p.unit_price, available=p.available)
            for p in selectors.product_get_many(skus=skus)
        )
