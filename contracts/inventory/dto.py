from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, kw_only=True)
class ProductPrice:
    sku: str
    name: str
    unit_price: Decimal
    available: int
