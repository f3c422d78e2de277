"""The remote binding's own edges, over real HTTP: service credentials, malformed calls."""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.conf import settings
from pytest_django.live_server_helper import LiveServer

from app.modules import ModuleSpec
from contracts.kernel.errors import ServiceUnavailableError
from tests.contracts.conftest import remote

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)

GET_PRICES = "/internal/inventory/get_prices"


@pytest.fixture
def sent(http: httpx.Client) -> Iterator[list[httpx.Request]]:
    """Every request the shared client sends during the test."""
    requests: list[httpx.Request] = []
    http.event_hooks["request"].append(requests.append)
    yield requests
    http.event_hooks["request"].remove(requests.append)


def post(live_server: LiveServer, path: str, body: bytes, **headers: str) -> httpx.Response:
    return httpx.post(f"{live_server.url}{path}", content=body, headers=headers, timeout=10.0)


def bearer(token: str = "") -> str:
    return f"Bearer {token or settings.INTERNAL_API_TOKEN}"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no credentials"),
        pytest.param({"Authorization": "Bearer not-the-token"}, id="wrong token"),
        pytest.param({"Authorization": f"Basic {settings.INTERNAL_API_TOKEN}"}, id="not a bearer"),
    ],
)
def test_the_internal_endpoint_refuses_calls_without_the_service_token(live_server, headers) -> None:
    response = post(live_server, GET_PRICES, b'{"kwargs": {"skus": []}}', **headers)
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_with_the_service_token_it_answers(live_server) -> None:
    response = post(live_server, GET_PRICES, b'{"kwargs": {"skus": []}}', Authorization=bearer())
    assert (response.status_code, response.json()) == (200, {"result": []})


def test_a_client_holding_a_wrong_token_gets_a_transport_failure_not_an_answer(live_server, http) -> None:
    inventory = remote(ModuleSpec("inventory"), base_url=live_server.url, http=http, token="stale-token")
    with pytest.raises(ServiceUnavailableError, match="HTTP 401") as raised:
        inventory.get_prices(skus=("KB",))
    assert raised.value.target == f"inventory ({live_server.url})"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        pytest.param(b"{not json", "bad arguments for get_prices", id="not JSON"),
        pytest.param(b"[1, 2]", "bad arguments for get_prices", id="not an object"),
        pytest.param(b'{"kwargs": ["KB"]}', "bad arguments for get_prices", id="kwargs not an object"),
        pytest.param(b'{"kwargs": {}}', "skus", id="an argument missing"),
        pytest.param(b'{"kwargs": {"skus": [], "limit": 3}}', "limit", id="an unknown argument"),
        pytest.param(b'{"kwargs": {"skus": [1]}}', "skus", id="a wrong type"),
        pytest.param(b'{"kwargs": {"skus": "KB"}}', "skus", id="a string for a tuple"),
    ],
)
def test_a_malformed_call_is_answered_400_in_json(live_server, body: bytes, why: str) -> None:
    response = post(live_server, GET_PRICES, body, Authorization=bearer(), **{"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert why in response.json()["detail"]


def test_an_unknown_method_is_not_found(live_server) -> None:
    response = post(live_server, "/internal/inventory/drop_everything", b"{}", Authorization=bearer())
    assert response.status_code == 404


def test_unknown_or_missing_arguments_fail_in_the_caller_as_they_would_in_process(live_server, http, sent) -> None:
    inventory = remote(ModuleSpec("inventory"), base_url=live_server.url, http=http)
    bindings: tuple[Any, ...] = (ModuleSpec("inventory").facade(), inventory)
    for contract in bindings:
        with pytest.raises(TypeError, match="limit"):
            contract.get_prices(skus=("KB",), limit=3)
        with pytest.raises(TypeError, match="skus"):
            contract.get_prices()
        with pytest.raises(TypeError):
            contract.get_prices(("KB",))
    assert sent == []  # refused before anything went on the wire


def test_the_wire_carries_keyword_arguments_as_json_data(live_server, http, sent) -> None:
    inventory = remote(ModuleSpec("inventory"), base_url=live_server.url, http=http)
    assert inventory.get_prices(skus=()) == ()
    [request] = sent
    assert request.url.path == GET_PRICES
    assert request.headers["Authorization"] == bearer()
    assert json.loads(request.content) == {"kwargs": {"skus": []}}
