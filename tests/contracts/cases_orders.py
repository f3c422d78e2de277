"""Conformance cases for contracts.orders (see tests/contracts/conformance.py)."""

import uuid
from decimal import Decimal

from contracts.orders.dto import OrderLine, OrderSummary
from contracts.orders.errors import OrderNotFoundError
from modules.inventory import services as inventory_services
from modules.orders import services
from modules.orders.models import Order
from tests.contracts.conformance import Case

MISSING = uuid.UUID("00000000-0000-4000-8000-000000000001")


def placed_order() -> Order:
    inventory_services.product_ensure(sku="KB", name="Keyboard", unit_price=Decimal("10.00"), on_hand=5)
    inventory_services.product_ensure(sku="MS", name="Mouse", unit_price=Decimal("2.50"), on_hand=1)
    lines = (services.LineRequest(sku="KB", quantity=2), services.LineRequest(sku="MS", quantity=1))
    return services.order_place(customer_email="ann@example.com", lines=lines)


def its_summary(order: Order) -> OrderSummary:
    return OrderSummary(
        id=order.id,
        # stock reserved and payment authorized: the saga ran on commit (in-process events)
        status="CONFIRMED",
        status_reason="",
        customer_email="ann@example.com",
        total=Decimal("22.50"),
        lines=(
            OrderLine(sku="KB", quantity=2, unit_price=Decimal("10.00")),
            OrderLine(sku="MS", quantity=1, unit_price=Decimal("2.50")),
        ),
    )


CASES = (
    Case(
        name="an order with its lines",
        method="get_order",
        given=placed_order,
        arguments=lambda order: {"order_id": order.id},
        expect=its_summary,
    ),
    Case(
        name="an unknown order is not found",
        method="get_order",
        given=placed_order,
        arguments={"order_id": MISSING},
        expect=OrderNotFoundError(MISSING),
    ),
)
