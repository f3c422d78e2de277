from decimal import Decimal

from ninja import Schema


class ProductOut(Schema):
    sku: str
    name: str
    unit_price: Decimal
    available: int
