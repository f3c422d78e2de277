import uuid
from decimal import Decimal

import pytest

from contracts.orders.events import OrderPlacedLineV1, OrderPlacedV1
from modules.inventory.handlers import SUBSCRIPTIONS, on_order_placed
from modules.inventory.models import Product

pytestmark = pytest.mark.django_db(databases=["inventory"])


def test_an_order_placed_reserves_its_lines(keyboard, published) -> None:
    line = OrderPlacedLineV1(sku="KB", quantity=2, unit_price=Decimal("10.00"))
    on_order_placed(
        OrderPlacedV1(order_id=uuid.uuid4(), customer_email="a@example.com", total=Decimal(20), lines=(line,))
    )
    assert Product.objects.get(sku="KB").reserved == 2


def test_subscriptions_have_stable_ids_in_the_module_namespace() -> None:
    assert [s.id for s in SUBSCRIPTIONS] == ["inventory.reserve_stock"]
