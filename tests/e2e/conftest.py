from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from modules.inventory import services as inventory_services


@pytest.fixture
def catalogue(transactional_db: None) -> None:
    inventory_services.product_ensure(sku="KB", name="Keyboard", unit_price=Decimal("89.00"), on_hand=5)
    inventory_services.product_ensure(sku="DK", name="Dock", unit_price=Decimal("149.00"), on_hand=1)


@pytest.fixture
def place(auth_client: Client) -> Callable[..., Any]:
    def _place(*lines: tuple[str, int], email: str = "ann@example.com") -> Any:
        body = {"customer_email": email, "lines": [{"sku": s, "quantity": q} for s, q in lines]}
        return auth_client.post("/api/orders", body, content_type="application/json")

    return _place
