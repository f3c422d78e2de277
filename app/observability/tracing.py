"""OpenTelemetry: the tracer provider, the standard instrumentations, and the propagator that
carries W3C trace context (``traceparent``/``tracestate``) across every boundary registered with
``app.propagation`` (the outbox, remote contract calls).

Instrumented: Django (requests), psycopg (queries) and httpx (outgoing calls). Celery and Redis
are not: Celery only carries event deliveries here, and those have spans of their own, one per
hop (``app.observability.events``), whose context rides on the task (``trace_headers``,
``trace_restored``); the Redis commands are the broker's own traffic, mostly polls outside any
trace.

Configured by the standard environment variables:

- ``OTEL_SDK_DISABLED=true``: nothing at all (no provider, no instrumentation, no propagation);
- ``OTEL_TRACES_EXPORTER``: ``none`` (default), ``console`` or ``otlp`` (HTTP/protobuf, aimed by
  ``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``);
- ``OTEL_SERVICE_NAME`` (default: the ``SERVICE`` setting), ``OTEL_RESOURCE_ATTRIBUTES``,
  ``OTEL_TRACES_SAMPLER``, ``OTEL_BSP_*``...

Without an exporter a provider still records spans, so trace and span ids appear in the logs.
"""

import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager

from opentelemetry import context, trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from app import propagation

logger = logging.getLogger(__name__)

ENABLED = os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() != "true"
# Requests not worth a trace (scrapes, probes); OTEL_PYTHON_DJANGO_EXCLUDED_URLS overrides.
DEFAULT_EXCLUDED_URLS = "metrics,api/health/live,api/health/ready"
# Internal contract endpoints (app.remote.server.URL_PREFIX) have their own RPC server span
# (app.observability.calls.served_span), for a fraction of what the Django instrumentation costs
# per request: always left out of it.
INTERNAL_CALLS_URL = "^https?://[^/]+/internal/"
TRACE_HEADERS = ("traceparent", "tracestate")

_W3C = TraceContextTextMapPropagator()
_lock = threading.Lock()
_configured = False


def configure(*, service: str) -> None:
    """Install the tracer provider and the instrumentations, once per process (a forked Celery
    worker inherits them; the batch exporter restarts its thread after a fork)."""
    global _configured
    with _lock:
        if _configured or not ENABLED:
            return
        _configured = True
        trace.set_tracer_provider(_provider(service))
        _instrument()
        propagation.register(TracePropagator())


def _provider(service: str) -> trace.TracerProvider:
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider

    # Resource.create merges OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME over these defaults.
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME") or service}))
    exporter_name = os.environ.get("OTEL_TRACES_EXPORTER", "none").strip().lower()
    if exporter_name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    elif exporter_name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    elif exporter_name not in ("", "none"):
        logger.warning("OTEL_TRACES_EXPORTER=%s is not supported (otlp, console, none): no exporter", exporter_name)
    return provider


def _instrument() -> None:
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    chosen = os.environ.get("OTEL_PYTHON_DJANGO_EXCLUDED_URLS", DEFAULT_EXCLUDED_URLS).strip(" ,")
    excluded = f"{chosen},{INTERNAL_CALLS_URL}" if chosen else INTERNAL_CALLS_URL  # "" would match every URL
    DjangoInstrumentor().instrument(excluded_urls=excluded)  # inserts its middleware first in MIDDLEWARE
    PsycopgInstrumentor().instrument()
    HTTPXClientInstrumentor().instrument()


class TracePropagator:
    """``app.propagation``'s view of the trace: ``capture`` writes the current span as W3C
    headers; ``restore`` makes the captured span the parent of what runs inside, unless the
    current context is already in that trace (an instrumented boundary such as the Django
    middleware or the event consumer's span already continued it, and is the better parent)."""

    def capture(self) -> dict[str, str]:
        carrier: dict[str, str] = {}
        _W3C.inject(carrier)
        return carrier

    @contextmanager
    def restore(self, headers: Mapping[str, str]) -> Iterator[None]:
        parent = parent_from(headers)
        if parent is None:
            yield
            return
        token = context.attach(parent)
        try:
            yield
        finally:
            context.detach(token)


def parent_from(headers: Mapping[str, str]) -> context.Context | None:
    """The context to continue from ``headers``, or None to stay in the current one (no valid
    ``traceparent``, or the current span is already part of that trace)."""
    if "traceparent" not in headers or in_trace_of(headers):
        return None
    extracted = _W3C.extract(headers)
    remote = trace.get_current_span(extracted).get_span_context()
    if not remote.is_valid:
        return None
    current = trace.get_current_span().get_span_context()
    if current.is_valid and current.trace_id == remote.trace_id:
        return None
    return extracted


def in_trace_of(headers: Mapping[str, str]) -> bool:
    """Whether the current span belongs to the trace that ``headers``' ``traceparent`` names
    (``00-<trace id>-<span id>-<flags>``), read from the header's text: this runs for every
    delivery, and the full W3C parse is most of the cost of restoring a context."""
    traceparent = headers.get("traceparent")
    if not traceparent:
        return False
    current = trace.get_current_span().get_span_context()
    return current.is_valid and traceparent[3:35] == format(current.trace_id, "032x")


def trace_headers() -> dict[str, str]:
    """The current span as W3C headers, for a message this process hands to another one."""
    return TracePropagator().capture()


def trace_restored(get: Callable[[str], str | None]) -> AbstractContextManager[None]:
    """Continues the trace whose W3C headers ``get`` returns (a Celery task's request), if any."""
    headers = {name: value for name in TRACE_HEADERS if (value := get(name))}
    return TracePropagator().restore(headers)


@contextmanager
def outside_any_trace() -> Iterator[None]:
    """Runs the block with no current span: what it starts belongs to no enclosing trace. For
    work that only happens to run inside a request, such as delivering the events its
    transaction committed (each delivery continues the trace of its own event)."""
    token = context.attach(context.Context())
    try:
        yield
    finally:
        context.detach(token)
