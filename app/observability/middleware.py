"""Per request: a request id (an incoming ``X-Request-ID`` is honoured when it looks like one,
otherwise one is generated), echoed on the response and bound for every log line and every hop
the request causes; a correlation id (``X-Correlation-ID``, else the request id); the request
counted and timed for ``/metrics``; one access log line."""

import logging
import re
import uuid
from collections.abc import Callable
from time import perf_counter

from django.http import HttpRequest, HttpResponse
from opentelemetry import trace

from app.observability import metrics
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
        request_id = accepted_id(request.headers.get(REQUEST_ID_HEADER)) or uuid.uuid4().hex
        correlation_id = accepted_id(request.headers.get(CORRELATION_ID_HEADER)) or request_id
        request.META["REQUEST_ID"] = request_id
        span = trace.get_current_span()  # the Django instrumentation's server span, when tracing
        if span.is_recording():
            span.set_attribute("http.request_id", request_id)
        start = perf_counter()
        with log_context(request_id=request_id, correlation_id=correlation_id):
            response = self.get_response(request)
            elapsed = perf_counter() - start
            method, route = request.method or "-", _route(request)
            metrics.HTTP_REQUESTS.labels(method, route, str(response.status_code)).inc()
            metrics.HTTP_LATENCY.labels(method, route).observe(elapsed)
            logger.info(
                "%s %s %s %.1fms",
                method,
                request.path,
                response.status_code,
                elapsed * 1000,
                extra={
                    "http_route": route,
                    "http_status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
        response[REQUEST_ID_HEADER] = request_id
        return response


def _route(request: HttpRequest) -> str:
    """The URL pattern matched (bounded cardinality), never the raw path."""
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else "unmatched"
