from decimal import Decimal
from uuid import UUID

from django.db import transaction
from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError
from pydantic import EmailStr, Field

from benchmarks.bare.models import BareOrder, BareOrderLine, BareProduct

# The demo catalogue's prices, held in memory: the baseline does no pricing query.
PRICES = {
    "KB-001": Decimal("89.00"),
    "MS-002": Decimal("24.50"),
    "MN-003": Decimal("229.99"),
    "CB-004": Decimal("9.90"),
    "DK-005": Decimal("149.00"),
}

api = NinjaAPI(title="bare baseline", urls_namespace="bare")


class LineIn(Schema):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=10_000)


class OrderIn(Schema):
    customer_email: EmailStr
    lines: list[LineIn] = Field(min_length=1, max_length=100)


class LineOut(Schema):
    sku: str
    quantity: int
    unit_price: Decimal


class OrderOut(Schema):
    id: UUID
    status: str
    customer_email: str
    total: Decimal
    rejection_reason: str
    lines: list[LineOut]


@api.post("/orders", response={201: OrderOut})
def order_create(request: HttpRequest, payload: OrderIn) -> tuple[int, OrderOut]:
    unknown = [line.sku for line in payload.lines if line.sku not in PRICES]
    if unknown:
        raise HttpError(422, f"unknown sku: {', '.join(unknown)}")
    with transaction.atomic():
        order = BareOrder.objects.create(
            customer_email=payload.customer_email,
            total=sum((line.quantity * PRICES[line.sku] for line in payload.lines), Decimal(0)),
        )
        lines = BareOrderLine.objects.bulk_create(
            BareOrderLine(order=order, sku=line.sku, quantity=line.quantity, unit_price=PRICES[line.sku])
            for line in payload.lines
        )
    return 201, OrderOut(
        id=order.id,
        status=order.status,
        customer_email=order.customer_email,
        total=order.total,
        rejection_reason=order.rejection_reason,
        lines=[LineOut(sku=line.sku, quantity=line.quantity, unit_price=line.unit_price) for line in lines],
    )


class PricesIn(Schema):
    skus: list[str] = Field(min_length=1, max_length=100)


class PriceOut(Schema):
    sku: str
    name: str
    unit_price: Decimal
    available: int


@api.post("/prices", response=list[PriceOut])
def prices(request: HttpRequest, payload: PricesIn) -> list[PriceOut]:
    """What ``InventoryInterface.get_prices`` does behind its internal endpoint: the products of
    the skus asked (one SELECT), in the order asked, 422 for an unknown one; no authentication."""
    wanted = list(dict.fromkeys(payload.skus))
    found = {product.sku: product for product in BareProduct.objects.filter(sku__in=wanted)}
    unknown = [sku for sku in wanted if sku not in found]
    if unknown:
        raise HttpError(422, f"unknown sku: {', '.join(unknown)}")
    return [
        PriceOut(sku=p.sku, name=p.name, unit_price=p.unit_price, available=p.on_hand - p.reserved)
        for p in (found[sku] for sku in wanted)
    ]


@api.get("/health")
def health(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok"}
