"""The generic client: one object implements a whole contract Protocol over HTTP."""

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

import httpx
import pytest
import stamina

from app import propagation
from app.observability.logging import log_context
from app.remote.client import TRANSIENT, RemoteContract
from app.resilience import Policy, Target
from contracts.inventory.dto import ProductPrice
from contracts.inventory.errors import UnknownSkusError
from contracts.inventory.interface import InventoryInterface
from contracts.kernel.errors import ServiceUnavailableError
from contracts.kernel.markers import idempotent
from tests.app.upstream import Reply, Upstream

BASE = "http://inventory.test:8001"
KB = {"sku": "KB", "name": "Keyboard", "unit_price": "10.00", "available": 5}


class PaymentsInterface(Protocol):
    def charge(self, *, order_id: UUID, amount: Decimal) -> str: ...

    @idempotent
    def status(self, *, payment_id: str) -> str: ...


@pytest.fixture(autouse=True)
def no_backoff() -> Iterator[None]:
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


class Provider:
    """A fake provider behind httpx.MockTransport: answers with ``answer`` and records requests."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)


def answering(status: int = 200, **body: Any) -> Provider:
    return Provider(lambda _: httpx.Response(status, json=body))


def client(provider: Provider, interface: type = InventoryInterface, **policy: Any) -> Any:
    module = "payments" if interface is PaymentsInterface else "inventory"
    return RemoteContract(
        interface=interface,
        module=module,
        base_url=BASE,
        token="s3cret",
        target=Target(module, Policy(**{"timeout": 0.5, "failures_to_open": 100, **policy}), TRANSIENT),
        http=httpx.Client(transport=httpx.MockTransport(provider.handle)),
    )


def test_a_call_is_a_post_of_its_keyword_arguments_with_the_service_token() -> None:
    provider = answering(result=[KB])
    assert client(provider).get_prices(skus=("KB",)) == (
        ProductPrice(sku="KB", name="Keyboard", unit_price=Decimal("10.00"), available=5),
    )
    [request] = provider.requests
    assert (request.method, str(request.url)) == ("POST", f"{BASE}/internal/inventory/get_prices")
    assert request.headers["Authorization"] == "Bearer s3cret"
    assert json.loads(request.content) == {"kwargs": {"skus": ["KB"]}}
    assert request.extensions["timeout"]["read"] == 0.5  # the target's policy, per attempt


def test_arguments_travel_as_json_data_and_come_back_typed() -> None:
    provider = answering(result="pay_1")
    order_id = UUID("00000000-0000-4000-8000-000000000002")
    assert client(provider, PaymentsInterface).charge(order_id=order_id, amount=Decimal("9.90")) == "pay_1"
    assert json.loads(provider.requests[0].content) == {"kwargs": {"order_id": str(order_id), "amount": "9.90"}}


def test_the_context_of_the_caller_travels_as_headers(monkeypatch) -> None:
    class Tracing:
        def capture(self) -> dict[str, str]:
            return {"traceparent": "00-abc-def-01", "authorization": "Bearer user-token"}

        def restore(self, headers: Any) -> AbstractContextManager[None]:
            return nullcontext()

    monkeypatch.setattr(propagation, "_propagators", [Tracing()])
    provider = answering(result=[])
    client(provider).get_prices(skus=())
    headers = provider.requests[0].headers
    assert headers["traceparent"] == "00-abc-def-01"
    assert headers["Authorization"] == "Bearer s3cret"  # the service's credentials, never the user's


def test_every_header_has_a_name_servers_pass_on_the_correlation_id_included() -> None:
    """gunicorn (and nginx by default) drop header names with an underscore."""
    provider = answering(result=[])
    with log_context(request_id="req-9", correlation_id="journey-9"):
        client(provider).get_prices(skus=())
    headers = provider.requests[0].headers
    assert (headers["x-request-id"], headers["x-correlation-id"]) == ("req-9", "journey-9")
    assert [name for name in headers if "_" in name] == []


def test_a_domain_error_is_raised_as_itself_and_is_an_answer_not_a_failure() -> None:
    wire = {"type": "contracts.inventory.errors.UnknownSkusError", "code": "unknown_sku", "message": "unknown sku: ZZ"}
    provider = answering(422, error={**wire, "fields": {"skus": ["ZZ"]}})
    inventory = client(provider, failures_to_open=1)
    for _ in range(3):
        with pytest.raises(UnknownSkusError) as raised:
            inventory.get_prices(skus=("ZZ",))
        assert raised.value.skus == ("ZZ",)
    assert len(provider.requests) == 3  # never retried, and the breaker stays closed


def test_a_failed_call_is_retried_when_the_method_is_idempotent() -> None:
    provider = answering(500, detail="boom")
    inventory = client(provider, attempts=3)
    with pytest.raises(ServiceUnavailableError, match="HTTP 500"):
        inventory.get_prices(skus=("KB",))
    assert len(provider.requests) == 3


def test_a_failed_call_is_not_retried_when_the_method_is_not_idempotent() -> None:
    provider = answering(500, detail="boom")
    payments = client(provider, PaymentsInterface, attempts=3)
    with pytest.raises(ServiceUnavailableError, match="HTTP 500"):
        payments.charge(order_id=UUID(int=1), amount=Decimal(1))
    assert len(provider.requests) == 1


def test_a_transport_failure_is_a_service_unavailable_error_naming_the_target() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(ServiceUnavailableError) as raised:
        client(Provider(refuse)).get_prices(skus=("KB",))
    assert (raised.value.target, raised.value.reason) == (f"inventory ({BASE})", "connection refused")
    assert isinstance(raised.value.__cause__, httpx.ConnectError)


@pytest.mark.parametrize(
    "response",
    [
        pytest.param(httpx.Response(200, text="<html>proxy error</html>"), id="not JSON"),
        pytest.param(httpx.Response(200, json=[1]), id="not an object"),
        pytest.param(httpx.Response(200, json={"value": []}), id="no result"),
        pytest.param(httpx.Response(200, json={"result": [{"sku": "KB"}]}), id="a result of another shape"),
        pytest.param(httpx.Response(200, json={"result": "KB"}), id="a string for a tuple"),
        pytest.param(httpx.Response(422, text="Unprocessable"), id="422 not JSON"),
        pytest.param(httpx.Response(422, json={"detail": "x"}), id="422 without an error"),
        pytest.param(httpx.Response(401, json={"detail": "Unauthorized"}), id="401"),
        pytest.param(httpx.Response(404, text="Not Found"), id="404"),
    ],
)
def test_anything_but_a_result_or_a_domain_error_is_a_service_unavailable_error(response: httpx.Response) -> None:
    with pytest.raises(ServiceUnavailableError):
        client(Provider(lambda _: response), attempts=1).get_prices(skus=("KB",))


def test_an_open_circuit_fails_fast_without_a_request() -> None:
    provider = answering(result=[])
    inventory = client(provider)
    inventory._target.breaker.open()
    with pytest.raises(ServiceUnavailableError, match="circuit open"):
        inventory.get_prices(skus=())
    assert provider.requests == []


def test_one_object_implements_every_method_of_the_protocol() -> None:
    payments = client(answering(result="ok"), PaymentsInterface)
    assert (payments.charge.__name__, payments.status.__name__) == ("charge", "status")
    assert payments.status(payment_id="p") == "ok"


def test_calls_reuse_one_connection() -> None:
    with Upstream(lambda _: Reply(body=b'{"result": []}')).running() as upstream, httpx.Client() as http:
        inventory: Any = RemoteContract(
            interface=InventoryInterface,
            module="inventory",
            base_url=upstream.url,
            token="t",
            target=Target("inventory", Policy(timeout=2.0), TRANSIENT),
            http=http,
        )
        for _ in range(3):
            assert inventory.get_prices(skus=()) == ()
    assert len({request.client_port for request in upstream.received}) == 1
