"""The gateway proxies a module hosted elsewhere: requests and answers pass through unchanged
(hop-by-hop headers aside), and a service that is down gets a JSON 502/503/504, never a hang."""

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import stamina
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import URLPattern, path

from app.gateway import proxy_view
from app.resilience import Policy, Target
from app.topology import Service
from tests.app.upstream import Received, Reply, Upstream, unused_url

TRANSIENT = (httpx.TransportError,)
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture(autouse=True)
def no_backoff() -> Iterator[None]:
    with stamina.set_testing(True, attempts=100, cap=True):  # retries keep their count, lose their waits
        yield


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as client:
        yield client


Proxy = Callable[..., HttpResponse]


@pytest.fixture
def gateway(http: httpx.Client) -> Callable[..., tuple[Proxy, Target]]:
    """``gateway(url, **policy)``: the proxy view for an "inventory" service at ``url``."""

    def _gateway(url: str, **policy: Any) -> tuple[Proxy, Target]:
        target = Target("inventory", Policy(**{"timeout": 2.0, "failures_to_open": 100, **policy}), TRANSIENT)
        service = Service(name="inventory", modules=("inventory",), url=url)
        return proxy_view(service=service, target=target, http=http), target

    return _gateway


def serve(reply: Callable[[Received], Reply]) -> Iterator[Upstream]:
    with Upstream(reply).running() as upstream:
        yield upstream


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    yield from serve(
        lambda _: Reply(
            status=201,
            headers=(
                ("Content-Type", "application/json"),
                ("X-Upstream", "inventory"),
                ("Set-Cookie", "a=1; Path=/"),
                ("Set-Cookie", "b=2; Path=/api; HttpOnly"),
                ("Keep-Alive", "timeout=5"),
                ("Connection", "keep-alive"),
            ),
            body=b'{"ok": true}',
        )
    )


@pytest.fixture
def hanging_up() -> Iterator[Upstream]:
    yield from serve(lambda _: Reply(hang_up=True))


@pytest.fixture
def slow() -> Iterator[Upstream]:
    yield from serve(lambda _: Reply(delay=1.0))


urlpatterns: list[URLPattern] = []  # this module is the urlconf of `through_django`


@pytest.fixture
def through_django(gateway, settings) -> Callable[[str], Client]:
    """A test client whose requests cross every middleware to the proxy view for ``url``."""

    def _client(url: str) -> Client:
        proxy, _ = gateway(url)
        urlpatterns[:] = [path("api/inventory", proxy), path("api/inventory/<path:rest>", proxy)]
        settings.ROOT_URLCONF = __name__
        return Client()

    return _client


def test_method_path_query_body_and_end_to_end_headers_reach_the_service(through_django, upstream) -> None:
    through_django(upstream.url).generic(
        "PATCH",
        "/api/inventory/products/KB?x=1&name=%C3%A9t%C3%A9&x=2",
        data=b'{"on_hand": 3}',
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer user-token",
        HTTP_TRACEPARENT=TRACEPARENT,
        HTTP_X_REQUEST_ID="req-42",
        HTTP_ACCEPT_LANGUAGE="fr",
        HTTP_CONNECTION="keep-alive, X-Hop",
        HTTP_X_HOP="for the next hop only",
        HTTP_KEEP_ALIVE="timeout=5",
        HTTP_TE="trailers",
        HTTP_UPGRADE="websocket",
        HTTP_PROXY_AUTHORIZATION="Basic c2VjcmV0",
        REMOTE_ADDR="203.0.113.9",
    )
    [got] = upstream.received
    assert (got.method, got.path, got.body) == (
        "PATCH",
        "/api/inventory/products/KB?x=1&name=%C3%A9t%C3%A9&x=2",
        b'{"on_hand": 3}',
    )
    assert (got.headers["authorization"], got.headers["x-request-id"]) == ("Bearer user-token", "req-42")
    # The same trace: with tracing on, the gateway's hop is a span of the caller's trace.
    assert got.headers["traceparent"].split("-")[1] == TRACEPARENT.split("-")[1]
    assert got.headers["content-type"] == "application/json"
    assert got.headers["accept-language"] == "fr"
    assert got.headers["content-length"] == "14"
    assert got.headers["host"] == upstream.url.removeprefix("http://")
    assert (got.headers["x-forwarded-host"], got.headers["x-forwarded-for"]) == ("testserver", "203.0.113.9")
    assert not {"te", "upgrade", "proxy-authorization", "x-hop"} & set(got.headers)
    assert got.headers.get("connection", "keep-alive") == "keep-alive"  # httpx's own, not the caller's
    assert got.headers.get("keep-alive") is None


def test_status_body_and_end_to_end_headers_come_back(gateway, upstream) -> None:
    proxy, _ = gateway(upstream.url)
    response = proxy(RequestFactory().post("/api/inventory/products", {"sku": "KB"}, content_type="application/json"))
    assert response.status_code == 201
    assert json.loads(response.content) == {"ok": True}
    assert (response["Content-Type"], response["X-Upstream"]) == ("application/json", "inventory")
    assert {name: (c.value, c["path"]) for name, c in response.cookies.items()} == {"a": ("1", "/"), "b": ("2", "/api")}
    assert response.cookies["b"]["httponly"]
    assert not response.has_header("Keep-Alive")
    assert not response.has_header("Connection")


@pytest.mark.parametrize("status", [204, 404, 422, 500])
def test_an_error_of_the_service_is_its_answer_not_the_gateways(gateway, status) -> None:
    body = b"" if status == 204 else b'{"detail": "as the service said"}'
    with Upstream(lambda _: Reply(status=status, body=body)).running() as upstream:
        proxy, target = gateway(upstream.url)
        response = proxy(RequestFactory().get("/api/inventory/products"))
        assert (response.status_code, response.content) == (status, body)
        assert len(upstream.received) == 1  # an answer, however bad, is not retried
        assert target.breaker.fail_counter == 0


def test_a_service_nobody_answers_for_is_a_502_in_json(gateway) -> None:
    proxy, _ = gateway(unused_url())
    response = proxy(RequestFactory().get("/api/inventory/products"))
    assert response.status_code == 502
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "detail": "inventory cannot be reached: ConnectError",
        "code": "upstream_unavailable",
    }


def test_a_slow_service_is_a_504_in_json_after_the_timeout(gateway, slow) -> None:
    proxy, _ = gateway(slow.url, timeout=0.1, attempts=1)
    started = time.monotonic()
    response = proxy(RequestFactory().get("/api/inventory/products"))
    assert time.monotonic() - started < 0.8
    assert response.status_code == 504
    assert json.loads(response.content) == {
        "detail": "inventory did not answer in time",
        "code": "upstream_unavailable",
    }


def test_an_open_circuit_is_a_503_in_json_without_calling_the_service(gateway, upstream) -> None:
    proxy, target = gateway(upstream.url)
    target.breaker.open()
    response = proxy(RequestFactory().get("/api/inventory/products"))
    assert response.status_code == 503
    assert json.loads(response.content)["code"] == "upstream_unavailable"
    assert "circuit open" in json.loads(response.content)["detail"]
    assert upstream.received == []


def test_repeated_failures_open_the_circuit_then_the_gateway_fails_fast(gateway, slow) -> None:
    proxy, target = gateway(slow.url, timeout=0.05, attempts=1, failures_to_open=2)
    statuses = [proxy(RequestFactory().get("/api/inventory/products")).status_code for _ in range(4)]
    assert statuses == [504, 503, 503, 503]  # the second timeout trips the breaker
    assert len(slow.received) == 2
    assert target.state == "open"


@pytest.mark.parametrize(("method", "sent"), [("GET", 3), ("HEAD", 3), ("OPTIONS", 3), ("POST", 1), ("PUT", 1)])
def test_only_safe_methods_are_retried(gateway, hanging_up, method: str, sent: int) -> None:
    proxy, _ = gateway(hanging_up.url, attempts=3)
    response = proxy(RequestFactory().generic(method, "/api/inventory/products", data=b"{}"))
    assert response.status_code == 502
    assert [r.method for r in hanging_up.received] == [method] * sent


def test_a_get_that_fails_once_succeeds_on_the_retry(gateway) -> None:
    answers = iter([Reply(hang_up=True), Reply(body=b'["KB"]')])
    with Upstream(lambda _: next(answers)).running() as upstream:
        proxy, _ = gateway(upstream.url)
        response = proxy(RequestFactory().get("/api/inventory/products"))
        assert (response.status_code, response.content) == (200, b'["KB"]')
        assert len(upstream.received) == 2
