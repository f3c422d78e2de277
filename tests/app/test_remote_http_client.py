"""The pooled client of remote calls and gateway hops serves every user: it must keep no cookies."""

import httpx

from app.bootstrap import _http_client


def test_a_set_cookie_from_a_service_is_never_sent_on_a_later_request() -> None:
    def service(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"set-cookie": "sid=anns-session; Path=/"}, json={"cookie": request.headers.get("cookie")}
        )

    client = _http_client()
    client._transport = httpx.MockTransport(service)  # the real client's settings, a fake network
    client.get("http://inventory.local/api/inventory/products")
    assert client.get("http://inventory.local/api/inventory/products").json() == {"cookie": None}
    assert len(client.cookies) == 0
