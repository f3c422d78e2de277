"""Prometheus metrics, served at ``/metrics`` in the text exposition format.

Counted where they happen (the request middleware, the contract-call wrapper, the event hooks):
HTTP requests and latency, contract calls per contract, method and binding, events published,
delivered and dead-lettered. Computed when scraped: outbox lag, pending deliveries and dead
letters per database alias, and the state of every circuit breaker.

Under a multi-process server set ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory per start):
the counters of every worker are then added up at each scrape. The scrape-time gauges always
describe the process that answers (breakers are per process).
"""

import logging
import os
from collections.abc import Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

if TYPE_CHECKING:  # imported lazily below: this module loads before the models are ready
    from app.events.operations import AliasStatus

logger = logging.getLogger(__name__)
disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series: timestamps nobody graphs

HTTP_REQUESTS = Counter("http_requests", "HTTP requests answered", ["method", "route", "status"])
HTTP_LATENCY = Histogram("http_request_duration_seconds", "HTTP request latency", ["method", "route"])
CONTRACT_CALLS = Counter(
    "contract_calls",
    "Contract calls by outcome (ok, domain_error, error)",
    ["contract", "method", "binding", "outcome"],
)
CONTRACT_LATENCY = Histogram(
    "contract_call_duration_seconds",
    "Contract call latency",
    ["contract", "method", "binding"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
EVENTS_PUBLISHED = Counter("events_published", "Events written to an outbox", ["event_type"])
EVENTS_DELIVERED = Counter(
    "events_delivered",
    "Deliveries processed by a consumer, by outcome (done, duplicate, retry, dead)",
    ["event_type", "subscriber", "outcome"],
)
EVENTS_DEAD_LETTERED = Counter("events_dead_lettered", "Deliveries moved to dead letters", ["event_type", "subscriber"])
BREAKER_STATES = ("closed", "open", "half-open")


@cache
def child(metric: Counter, *labels: str) -> Any:
    """``metric.labels(*labels)``, looked up once per label set: counting happens on every event
    delivered, and ``labels()`` validates and locks each time. Label sets are few (event types x
    subscribers x outcomes), so the cache stays small."""
    return metric.labels(*labels)


class RuntimeCollector(Collector):
    """Gauges read at scrape time from the outbox tables and the resilience layer."""

    def collect(self) -> Iterable[Metric]:
        lag = GaugeMetricFamily("events_outbox_lag_seconds", "Age of the oldest undelivered event", labels=["alias"])
        pending = GaugeMetricFamily("events_outbox_pending", "Undelivered deliveries", labels=["alias"])
        dead = GaugeMetricFamily("events_dead_letters", "Dead letters not replayed", labels=["alias"])
        breakers = GaugeMetricFamily(
            "circuit_breaker_state", "1 for the current state of each target's breaker", labels=["target", "state"]
        )
        for alias, status in _outbox_statuses():
            lag.add_metric([alias], status.lag_seconds(timezone.now()))
            pending.add_metric([alias], status.pending + status.unexpanded)
            dead.add_metric([alias], status.dead_letters)
        for target, state in _breaker_states().items():
            for candidate in BREAKER_STATES:
                breakers.add_metric([target, candidate], 1.0 if state == candidate else 0.0)
        yield from (lag, pending, dead, breakers)


def _outbox_statuses() -> Iterator[tuple[str, "AliasStatus"]]:
    from app.bootstrap import runtime
    from app.events.operations import status

    for alias in runtime().aliases:
        try:
            yield alias, status(alias)
        except Exception as error:  # the scrape still answers; readiness says what is wrong
            logger.warning("outbox status of %s unavailable for /metrics: %s", alias, error)


def _breaker_states() -> dict[str, str]:
    from app.bootstrap import runtime

    return runtime().targets.states()


@cache
def scrape_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    registry.register(RuntimeCollector())
    return registry


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The Prometheus text format (or OpenMetrics, when the scraper asks for it)."""
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encode(scrape_registry()), content_type=content_type)
