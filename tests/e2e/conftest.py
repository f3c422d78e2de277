from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from app.bootstrap import bootstrap, runtime
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


class Stepper:
    """Delivers the outbox of one module at a time, so a test can stop a saga at any step."""

    def drain(self, *modules: str) -> None:
        for module in modules:
            runtime().relay.drain(module)

    def settle(self, rounds: int = 20) -> None:
        """Deliver everything (and run the periodic jobs) until nothing is left to do."""
        for _ in range(rounds):
            if not runtime().loop.run_pass() and not sum(runtime().jobs.run_all().values()):
                return
        raise AssertionError(f"the system did not settle in {rounds} rounds")


@pytest.fixture
def stepwise(settings: Any) -> Iterator[Stepper]:
    """Events wait in the outboxes until the test delivers them (no inline relay)."""
    settings.EVENTS_RELAY_INLINE = False
    bootstrap()
    yield Stepper()
    settings.EVENTS_RELAY_INLINE = True
    bootstrap()
