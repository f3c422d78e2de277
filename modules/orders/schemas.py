from decimal import Decimal
from uuid import UUID

from ninja import Schema
from pydantic import EmailStr, Field


class OrderLineIn(Schema):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=10_000)


class OrderCreateIn(Schema):
    customer_email: EmailStr
    lines: list[OrderLineIn] = Field(min_length=1, max_length=100)


class OrderLineOut(Schema):
    sku: str
    quantity: int
    unit_price: Decimal


class OrderOut(Schema):
    id: UUID
    status: str
    customer_email: str
    total: Decimal
    rejection_reason: str
    lines: list[OrderLineOut]
