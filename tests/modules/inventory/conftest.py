from decimal import Decimal

import pytest

from modules.inventory import services
from modules.inventory.models import Product


@pytest.fixture
def keyboard(db: None) -> Product:
    return services.product_ensure(sku="KB", name="Keyboard", unit_price=Decimal("10.00"), on_hand=5)[0]


@pytest.fixture
def mouse(db: None) -> Product:
    return services.product_ensure(sku="MS", name="Mouse", unit_price=Decimal("2.50"), on_hand=1)[0]
