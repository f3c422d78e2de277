import uuid

import pytest

from contracts.inventory.commands import ReleaseStockV1, ReserveStockV1, StockLineV1
from modules.inventory.handlers import SUBSCRIPTIONS, on_release_stock, on_reserve_stock
from modules.inventory.models import Product

pytestmark = pytest.mark.django_db(databases=["inventory"])


def test_the_reserve_and_release_commands_hold_then_free_the_stock(keyboard, published) -> None:
    order_id = uuid.uuid4()
    on_reserve_stock(
        ReserveStockV1(command_id=uuid.uuid4(), order_id=order_id, lines=(StockLineV1(sku="KB", quantity=2),))
    )
    assert Product.objects.get(sku="KB").reserved == 2
    on_release_stock(ReleaseStockV1(command_id=uuid.uuid4(), order_id=order_id))
    assert Product.objects.get(sku="KB").reserved == 0


def test_subscriptions_have_stable_ids_in_the_module_namespace() -> None:
    assert [s.id for s in SUBSCRIPTIONS] == ["inventory.reserve_stock", "inventory.release_stock"]
