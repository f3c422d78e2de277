"""Per request: a request id (an incoming ``X-Request-ID`` is honoured when it looks like one,
otherwise one is generated), echoed on the response and bound for every log line and every hop
the request causes; a correlation id (``X-Correlation-ID``, else the request id: a remote
contract call sends its caller's, see ``app.propagation``); the request counted and timed for
``/metrics``; one access log line.

This runs on every request, internal contract calls included, so the labelled metric children
are looked up once per label set and the access line's fields computed only when it is logged."""

import logging
import re
import uuid
from collections.abc import Callable
from functools import cache
from time import perf_counter
from typing import Any

from django.http import HttpRequest, HttpResponse
from opentelemetry import context, trace
from opentelemetry.trace import Span, Status, StatusCode

from app.observability import metrics
from app.observability.calls import served_span
from app.observability.logging import log_context

logger = logging.getLogger("app.observability.access")

REQUEST_ID_HEADER = "X-Request-ID"
CORRELATION_ID_HEADER = "X-Correlation-ID"
# What a client may choose as an id: it ends up in logs and response headers.
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def accepted_id(value: str | None) -> str | None:
    return value if value and _ACCEPTABLE_ID.fullmatch(value) else None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        served = served_span(request)  # an internal contract call's, which the instrumentation leaves to us
        if served is None:
            return self._respond(request)
        token = context.attach(trace.set_span_in_context(served))
        try:
            response = self._respond(request)
        except BaseException as failure:
            served.record_exception(failure)
            served.set_status(Status(StatusCode.ERROR, f"{type(failure).__name__}: {failure}"))
            served.end()
            raise
        finally:
            context.detach(token)
        _end(served, response)
        return response

    def _respond(self, request: HttpRequest) -> HttpResponse:
        request_id = accepted_id(request.headers.get(REQUEST_ID_HEADER)) or uuid.uuid4().hex
        correlation_id = accepted_id(request.headers.get(CORRELATION_ID_HEADER)) or request_id
        request.META["REQUEST_ID"] = request_id
        span = trace.get_current_span()  # the request's server span, when tracing
        if span.is_recording():
            span.set_attribute("http.request_id", request_id)
        start = perf_counter()
        with log_context(request_id=request_id, correlation_id=correlation_id):
            response = self.get_response(request)
            _record(request, response, perf_counter() - start)
        response[REQUEST_ID_HEADER] = request_id
        return response


def _record(request: HttpRequest, response: HttpResponse, elapsed: float) -> None:
    """Counted, timed and logged inside the request's context: the access line carries its ids."""
    method, route = request.method or "-", _route(request)
    _requests(method, route, response.status_code).inc()
    _latency(method, route).observe(elapsed)
    if logger.isEnabledFor(logging.INFO):
        logger.info(
            "%s %s %s %.1fms",
            method,
            request.path,
            response.status_code,
            elapsed * 1000,
            extra={"http_route": route, "http_status": response.status_code, "duration_ms": round(elapsed * 1000, 2)},
        )


def _end(span: Span, response: HttpResponse) -> None:
    span.set_attribute("http.response.status_code", response.status_code)
    if response.status_code >= 500:
        span.set_status(Status(StatusCode.ERROR, f"HTTP {response.status_code}"))
    span.end()


# Label sets are bounded (methods x URL patterns x status codes), so the caches stay small.
@cache
def _requests(method: str, route: str, status: int) -> Any:
    return metrics.HTTP_REQUESTS.labels(method, route, str(status))


@cache
def _latency(method: str, route: str) -> Any:
    return metrics.HTTP_LATENCY.labels(method, route)


def _route(request: HttpRequest) -> str:
    """The URL pattern matched (bounded cardinality), never the raw path."""
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else "unmatched"
