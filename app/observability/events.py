"""The event system's observation points, one span per hop: publish (a PRODUCER span, counted),
relay (a PRODUCER span per delivery handed to a broker, parented to the publish span captured in
the envelope) and delivery (a CONSUMER span around the consumer, counted by outcome, with the
event's ids bound for the logs).

With these, one order placement is one trace: request -> publish -> handle -> publish (by the
handler) -> ..., across threads, the relay process and Celery workers alike; through Celery
each handle span sits under the relay span of its delivery (publish -> relay -> handle).
"""

from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from app.observability import metrics
from app.observability.logging import log_context
from app.observability.tracing import in_trace_of

if TYPE_CHECKING:
    from app.events.consumer import Consumer, Outcome
    from app.events.envelope import Envelope, Wire
    from app.events.relay import Transport
    from contracts.kernel.events import Event
    from contracts.kernel.subscriptions import Subscription

F = TypeVar("F", bound=Callable[..., Any])

_tracer = trace.get_tracer(__name__)
_w3c = TraceContextTextMapPropagator()


def observe_publish(publish: F) -> F:
    """Decorates ``EventBus.publish`` (and ``send``): the span is current while the headers are
    captured, so the envelope names it as the parent of everything the message causes."""

    @wraps(publish)
    def observed(self: Any, event: "Event", **options: Any) -> None:
        event_type = event.event_type()
        with _tracer.start_as_current_span(
            f"events.publish {event_type}",
            kind=SpanKind.PRODUCER,
            attributes={"messaging.system": "outbox", "messaging.destination.name": event_type},
        ):
            publish(self, event, **options)
        metrics.child(metrics.EVENTS_PUBLISHED, event_type).inc()

    return observed  # type: ignore[return-value]


class ObservedTransport:
    """Wraps a transport to a broker: a span per delivery sent, in the trace of the publish.
    (An in-process delivery needs none: its handle span is the hop.)"""

    def __init__(self, transport: "Transport") -> None:
        self._transport = transport

    def send(self, *, wire: "Wire", subscription: "Subscription", fresh: bool) -> "Outcome":
        headers = wire["headers"]
        published = _w3c.extract(headers)
        parent = published if trace.get_current_span(published).get_span_context().is_valid else None
        with _tracer.start_as_current_span(
            f"events.relay {subscription.id}",
            context=parent,
            kind=SpanKind.PRODUCER,
            attributes=_attributes(wire["type"], wire["id"], headers, subscription),
        ) as span:
            outcome = self._transport.send(wire=wire, subscription=subscription, fresh=fresh)
            span.set_attribute("events.outcome", str(outcome))
            return outcome

    def batch(self) -> AbstractContextManager[None]:
        return self._transport.batch()


def observe_delivery(process: F) -> F:
    """Decorates ``Consumer.process`` (every transport ends there, in-process or in a worker)."""

    @wraps(process)
    def observed(self: "Consumer", envelope: "Envelope", subscription: "Subscription", **options: Any) -> "Outcome":
        parent, links = _consumer_parent(envelope.headers)
        headers = envelope.headers
        with (
            log_context(
                request_id=headers.get("x-request-id"),
                correlation_id=headers.get("correlation_id"),
                module=subscription.module,
            ),
            _tracer.start_as_current_span(
                f"events.handle {subscription.id}",
                context=parent,
                kind=SpanKind.CONSUMER,
                links=links,
                attributes=_attributes(envelope.type, str(envelope.id), headers, subscription),
            ) as span,
        ):
            outcome: Outcome = process(self, envelope, subscription, **options)
            span.set_attribute("events.outcome", str(outcome))
            if outcome in ("retry", "dead"):
                span.set_status(Status(StatusCode.ERROR, f"delivery {outcome}"))
        metrics.child(metrics.EVENTS_DELIVERED, envelope.type, subscription.id, str(outcome)).inc()
        if outcome == "dead":
            metrics.child(metrics.EVENTS_DEAD_LETTERED, envelope.type, subscription.id).inc()
        return outcome

    return observed  # type: ignore[return-value]


def _consumer_parent(headers: dict[str, str]) -> tuple[Any, list[Link]]:
    """Nest under the current span when it already continues the event's trace (in a Celery
    worker, the relay span that the task restored: checked without parsing the headers);
    otherwise continue from the envelope, linking whatever span was current."""
    if in_trace_of(headers):
        return None, []
    extracted = _w3c.extract(headers)
    published = trace.get_current_span(extracted).get_span_context()
    current = trace.get_current_span().get_span_context()
    if not published.is_valid or (current.is_valid and current.trace_id == published.trace_id):
        return None, []
    return extracted, [Link(current)] if current.is_valid else []


def _attributes(
    event_type: str, event_id: str, headers: dict[str, str], subscription: "Subscription"
) -> dict[str, str]:
    return {
        "messaging.system": "outbox",
        "messaging.destination.name": event_type,
        "messaging.message.id": event_id,
        "messaging.consumer.group.name": subscription.id,
        "events.correlation_id": headers.get("correlation_id", ""),
    }
