from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from modules.inventory import services as inventory_services
from tests.app.idempotency.support import ORDER


@pytest.fixture
def catalogue(transactional_db: None) -> None:
    inventory_services.product_ensure(sku="KB", name="Keyboard", unit_price=Decimal("89.00"), on_hand=50)
    inventory_services.product_ensure(sku="MS", name="Mouse", unit_price=Decimal("19.00"), on_hand=50)


@pytest.fixture
def post(auth_client: Client) -> Callable[..., Any]:
    """``post(path, body, key=..., client=...)``: a JSON POST (as ann unless another client is
    given), with an Idempotency-Key header when ``key`` is given."""

    def _post(path: str = "/api/orders", body: Any = ORDER, *, key: str | None = None, client: Client | None = None):
        headers = {} if key is None else {"Idempotency-Key": key}
        return (client or auth_client).post(path, body, content_type="application/json", headers=headers)

    return _post
