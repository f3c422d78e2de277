"""The generic internal router: every contract method of a hosted module at
POST /internal/<module>/<method>, for holders of the service token only."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from ninja.testing import TestClient

from app import propagation
from app.remote.server import internal_api
from contracts.inventory.dto import ProductPrice
from contracts.inventory.errors import UnknownSkusError
from contracts.inventory.interface import InventoryInterface
from contracts.orders.interface import OrdersInterface

TOKEN = {"Authorization": "Bearer internal-test-token"}
TRACE: ContextVar[str | None] = ContextVar("trace", default=None)


class FakeInventory:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def get_prices(self, *, skus: tuple[str, ...]) -> tuple[ProductPrice, ...]:
        self.calls.append({"skus": skus, "trace": TRACE.get()})
        if "ZZ" in skus:
            raise UnknownSkusError(("ZZ",))
        return tuple(ProductPrice(sku=s, name=s.lower(), unit_price=Decimal("1.50"), available=2) for s in skus)


class FakeOrders:
    def __init__(self) -> None:
        self.asked: list[Any] = []

    def get_order(self, *, order_id: UUID) -> None:
        self.asked.append(order_id)


@pytest.fixture(autouse=True)
def token(settings) -> None:
    settings.INTERNAL_API_TOKEN = "internal-test-token"


@pytest.fixture
def inventory() -> FakeInventory:
    return FakeInventory()


@pytest.fixture
def orders() -> FakeOrders:
    return FakeOrders()


@pytest.fixture
def api(inventory, orders) -> TestClient:
    return TestClient(internal_api({"inventory": (InventoryInterface, inventory), "orders": (OrdersInterface, orders)}))


def test_the_result_is_json_data_and_the_arguments_reach_the_facade_typed(api, inventory, orders) -> None:
    response = api.post("/inventory/get_prices", json={"kwargs": {"skus": ["KB", "MS"]}}, headers=TOKEN)
    assert (response.status_code, response.json()) == (
        200,
        {
            "result": [
                {"sku": "KB", "name": "kb", "unit_price": "1.50", "available": 2},
                {"sku": "MS", "name": "ms", "unit_price": "1.50", "available": 2},
            ]
        },
    )
    assert inventory.calls[0]["skus"] == ("KB", "MS")
    order_id = "00000000-0000-4000-8000-000000000003"
    api.post("/orders/get_order", json={"kwargs": {"order_id": order_id}}, headers=TOKEN)
    assert orders.asked == [UUID(order_id)]


def test_a_domain_error_is_answered_422_with_its_class_code_message_and_fields(api) -> None:
    response = api.post("/inventory/get_prices", json={"kwargs": {"skus": ["ZZ"]}}, headers=TOKEN)
    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "type": "contracts.inventory.errors.UnknownSkusError",
            "code": "unknown_sku",
            "message": "unknown sku: ZZ",
            "fields": {"skus": ["ZZ"]},
        }
    }


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "internal-test-token"}])
def test_calls_without_the_service_token_are_refused(api, inventory, headers) -> None:
    response = api.post("/inventory/get_prices", json={"kwargs": {"skus": []}}, headers=headers)
    assert response.status_code == 401
    assert inventory.calls == []


def test_with_no_token_configured_every_call_is_refused(api, inventory, settings) -> None:
    settings.INTERNAL_API_TOKEN = ""
    for authorization in ("Bearer ", "Bearer internal-test-token"):
        response = api.post(
            "/inventory/get_prices", json={"kwargs": {"skus": []}}, headers={"Authorization": authorization}
        )
        assert response.status_code == 401
    assert inventory.calls == []


def test_only_post_is_served(api) -> None:
    assert api.get("/inventory/get_prices", headers=TOKEN).status_code == 405


def test_only_the_modules_given_are_served() -> None:
    api = TestClient(internal_api({"inventory": (InventoryInterface, FakeInventory())}))
    assert api.post("/inventory/get_prices", json={"kwargs": {"skus": []}}, headers=TOKEN).status_code == 200
    with pytest.raises(Exception, match='Cannot resolve "/orders/get_order"'):  # no such route at all
        api.post("/orders/get_order", json={"kwargs": {}}, headers=TOKEN)


def test_a_bad_argument_is_named_in_the_400(api, inventory) -> None:
    response = api.post("/inventory/get_prices", json={"kwargs": {"skus": [1]}}, headers=TOKEN)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("bad arguments for get_prices: skus: cannot read")
    response = api.post("/inventory/get_prices", json={"kwargs": {"sku": ["KB"]}}, headers=TOKEN)
    assert response.json() == {
        "detail": "bad arguments for get_prices: \"unknown arguments ['sku'], missing arguments ['skus']\""
    }
    assert inventory.calls == []


class Tracing:
    def capture(self) -> dict[str, str]:
        return {}

    @contextmanager
    def restore(self, headers: Mapping[str, str]) -> Iterator[None]:
        reset = TRACE.set(headers.get("traceparent"))
        try:
            yield
        finally:
            TRACE.reset(reset)


def test_the_callers_context_is_restored_around_the_facade_call(api, inventory, monkeypatch) -> None:
    monkeypatch.setattr(propagation, "_propagators", [Tracing()])
    api.post("/inventory/get_prices", json={"kwargs": {"skus": []}}, headers={**TOKEN, "traceparent": "00-abc-01"})
    assert inventory.calls[0]["trace"] == "00-abc-01"
    assert TRACE.get() is None


class Correlation:
    """Sees the carrier's ``correlation_id``, as the log context propagator does."""

    def capture(self) -> dict[str, str]:
        return {}

    @contextmanager
    def restore(self, headers: Mapping[str, str]) -> Iterator[None]:
        reset = TRACE.set(headers.get("correlation_id"))
        try:
            yield
        finally:
            TRACE.reset(reset)


def test_the_correlation_id_sent_as_an_http_header_reaches_the_propagators(api, inventory, monkeypatch) -> None:
    monkeypatch.setattr(propagation, "_propagators", [Correlation()])
    api.post("/inventory/get_prices", json={"kwargs": {"skus": []}}, headers={**TOKEN, "X-Correlation-ID": "j-7"})
    assert inventory.calls[0]["trace"] == "j-7"
