"""A remote contract call in a trace: one CLIENT span on the caller's side (the contract call's,
whose context travels with the request), one SERVER span on the provider's, its child."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.conf import settings
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from app import propagation
from app.modules import ModuleSpec
from app.observability.calls import observe_contract
from app.remote.client import TRANSIENT, RemoteContract
from app.resilience import Policy, Target
from tests.app.upstream import Reply, Upstream
from tests.observability.test_tracing import traceparent_of

tracer = trace.get_tracer(__name__)
GET_PRICES = "/internal/inventory/get_prices"


def post(client: Any, *, token: str, **headers: str) -> Any:
    return client.post(
        GET_PRICES,
        {"kwargs": {"skus": []}},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", **headers},
    )


@pytest.mark.django_db(databases="__all__")
def test_an_internal_call_is_one_server_span_child_of_the_callers_span(spans, client) -> None:
    with tracer.start_as_current_span("caller") as caller:
        headers = propagation.http_headers()
    spans.clear()
    assert post(client, token=settings.INTERNAL_API_TOKEN, **headers).status_code == 200
    [served] = spans.get_finished_spans()  # the Django instrumentation leaves /internal/ out
    assert (served.name, served.kind) == ("contract inventory.get_prices", SpanKind.SERVER)
    assert served.parent is not None
    assert (served.context.trace_id, served.parent.span_id) == (
        caller.get_span_context().trace_id,
        caller.get_span_context().span_id,
    )
    assert served.attributes is not None
    assert (served.attributes["rpc.service"], served.attributes["rpc.method"]) == ("inventory", "get_prices")
    assert served.attributes["http.response.status_code"] == 200


def test_a_refused_internal_call_is_traced_too(spans, client) -> None:
    assert post(client, token="not-the-token").status_code == 401
    [served] = spans.get_finished_spans()
    assert served.name == "contract inventory.get_prices"
    assert served.attributes is not None
    assert served.attributes["http.response.status_code"] == 401


@pytest.mark.django_db(databases="__all__")
def test_public_requests_keep_the_django_instrumentations_span(spans, client) -> None:
    client.get("/api/inventory/products")
    assert [(span.name, span.kind) for span in spans.get_finished_spans() if span.parent is None] == [
        ("GET api/inventory/products", SpanKind.SERVER)
    ]


@pytest.fixture
def provider() -> Iterator[Upstream]:
    with Upstream(lambda _: Reply(body=b'{"result": []}')).running() as upstream:
        yield upstream


@pytest.fixture
def inventory(provider: Upstream) -> Iterator[Any]:
    """The remote binding as app.bootstrap makes it: observed, over a plain (instrumented) client."""
    spec = ModuleSpec("inventory")
    with httpx.Client() as http:
        client = RemoteContract(
            interface=spec.interface(),
            module="inventory",
            base_url=provider.url,
            token="t",
            target=Target("inventory", Policy(timeout=5.0), TRANSIENT),
            http=http,
        )
        yield observe_contract(client, interface=spec.interface(), contract="inventory", binding="remote")


def test_a_remote_call_is_one_client_span_and_its_context_travels(spans, provider, inventory) -> None:
    with tracer.start_as_current_span("request"):
        assert inventory.get_prices(skus=()) == ()
    [call] = [span for span in spans.get_finished_spans() if span.name != "request"]  # no second, httpx span
    assert (call.name, call.kind) == ("contract inventory.get_prices", SpanKind.CLIENT)
    [received] = provider.received
    assert received.headers["traceparent"] == traceparent_of(call)


def test_a_remote_call_outside_any_trace_starts_none(spans, provider, inventory) -> None:
    assert inventory.get_prices(skus=()) == ()
    assert spans.get_finished_spans() == ()
    [received] = provider.received
    assert "traceparent" not in received.headers
