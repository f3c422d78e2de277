"""The API gateway: routes of modules hosted by another service are proxied to that service.

Method, path, query string, body, status and headers (auth and trace headers included) pass
through; hop-by-hop headers do not. Failures are answered in JSON: 503 while the service's
circuit is open, 504 on a timeout, 502 when it cannot be reached at all. Only safe methods are
retried; a POST is never sent twice by the gateway.
"""

from collections.abc import Callable
from typing import Any

import httpx
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from app.resilience import CircuitOpenError, Target
from app.topology import Service

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def proxy_view(*, service: Service, target: Target, http: httpx.Client) -> Callable[..., HttpResponse]:
    @csrf_exempt
    def proxy(request: HttpRequest, **_: Any) -> HttpResponse:
        try:
            upstream = target.call(
                lambda: _forward(request, service, http, timeout=target.policy.timeout),
                repeatable=request.method in SAFE_METHODS,
            )
        except CircuitOpenError:
            return _error(503, f"{service.name} is unavailable (circuit open); try again shortly")
        except httpx.TimeoutException:
            return _error(504, f"{service.name} did not answer in time")
        except httpx.TransportError as error:
            return _error(502, f"{service.name} cannot be reached: {type(error).__name__}")
        return _response(upstream)

    return proxy


def _forward(request: HttpRequest, service: Service, http: httpx.Client, *, timeout: float) -> httpx.Response:
    hop_by_hop = _hop_by_hop(request.headers.get("Connection"))
    headers = {k: v for k, v in request.headers.items() if k.lower() not in hop_by_hop}
    headers["X-Forwarded-Host"] = request.get_host()
    headers["X-Forwarded-For"] = request.META.get("REMOTE_ADDR", "")
    return http.request(
        request.method or "GET",
        f"{service.url}{request.get_full_path()}",
        content=request.body,
        headers=headers,
        timeout=timeout,
    )


def _response(upstream: httpx.Response) -> HttpResponse:
    response = HttpResponse(upstream.content, status=upstream.status_code)
    # httpx has decoded the body; several Set-Cookie headers cannot be joined into one.
    skipped = _hop_by_hop(upstream.headers.get("Connection")) | {"content-encoding", "set-cookie"}
    for name, value in upstream.headers.items():
        if name.lower() not in skipped:
            response[name] = value
    for cookie in upstream.headers.get_list("set-cookie"):
        response.cookies.load(cookie)
    return response


def _hop_by_hop(connection: str | None) -> frozenset[str]:
    """The standard hop-by-hop headers, and those the Connection header names (RFC 9110, 7.6.1)."""
    return HOP_BY_HOP | {name.strip().lower() for name in (connection or "").split(",") if name.strip()}


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": "upstream_unavailable"}, status=status)
