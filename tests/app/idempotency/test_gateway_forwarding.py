"""A module hosted elsewhere applies the key itself: the gateway forwards the header and brings
back the replay marker."""

import httpx
from django.test import RequestFactory

from app.gateway import proxy_view
from app.resilience import Policy, Target
from app.topology import Service
from tests.app.upstream import Reply, Upstream


def test_the_gateway_forwards_the_key_and_returns_the_replay_marker() -> None:
    upstream = Upstream(lambda _: Reply(status=201, headers=(("Idempotent-Replayed", "true"),), body=b'{"id": 1}'))
    with upstream.running(), httpx.Client(timeout=5.0) as http:
        target = Target("inventory", Policy(timeout=2.0, failures_to_open=100), (httpx.TransportError,))
        proxy = proxy_view(
            service=Service(name="inventory", modules=("inventory",), url=upstream.url), target=target, http=http
        )
        request = RequestFactory().post(
            "/api/inventory/holds", b'{"sku": "KB"}', content_type="application/json", HTTP_IDEMPOTENCY_KEY="hold-1"
        )

        response = proxy(request)

    (received,) = upstream.received
    assert (received.method, received.headers["idempotency-key"], received.body) == ("POST", "hold-1", b'{"sku": "KB"}')
    assert (response.status_code, response["Idempotent-Replayed"], response.content) == (201, "true", b'{"id": 1}')
