"""The Celery side of event delivery: one task per (event, subscriber)."""

import logging
from functools import partial

from celery import Task, shared_task
from celery.app.task import Context
from celery.exceptions import Retry
from django.conf import settings

from app.bootstrap import runtime
from app.events.consumer import Outcome
from app.events.envelope import Wire
from app.observability.tracing import trace_restored

logger = logging.getLogger(__name__)

# Failures around the handler (its database down while counting the attempt, a subscriber this
# deployment does not know) are retried too: on Redis an acked or rejected message is gone, so
# giving up silently would lose the event until someone replays the outbox. They are bounded,
# since they never reach the inbox's attempt counter.
INFRASTRUCTURE_RETRIES = 20


@shared_task(bind=True, name="events.deliver", max_retries=None)
def deliver(self: Task, wire: Wire, subscriber_id: str, fresh: bool = False) -> str:
    """Run the consumer (inbox, attempts, dead letters) for this delivery, in the trace of the
    relay's send. A handler failure is retried with a backoff that stays below the broker's
    visibility timeout. ``fresh``: the relay sent it for the first time; the attempt is the
    first one unless the broker delivered the message before (a worker died with it) or this
    is a retry (see ``Consumer.process``)."""
    first = fresh and not self.request.retries and not (self.request.delivery_info or {}).get("redelivered")
    try:
        with trace_restored(partial(_header, self.request)):
            outcome = _process(wire, subscriber_id, first=first)
    except Retry:
        raise
    except Exception as error:
        logger.warning("delivery of %s to %s failed before its handler: %s", wire.get("id"), subscriber_id, error)
        raise self.retry(
            exc=error, countdown=_backoff(self.request.retries), max_retries=INFRASTRUCTURE_RETRIES
        ) from error
    if outcome is Outcome.RETRY:
        raise self.retry(countdown=_backoff(self.request.retries))
    return outcome.value


def _process(wire: Wire, subscriber_id: str, *, first: bool) -> Outcome:
    current = runtime()
    envelope = current.event_types.envelope_from_wire(wire)
    return current.consumer.process(envelope, current.subscriptions.get(subscriber_id), first=first)


def _header(request: Context, name: str) -> str | None:
    """A custom header of the task's message: in ``request.headers``, or among the request's
    own attributes (where the worker puts them too)."""
    value = (request.headers or {}).get(name) or request.get(name)
    return str(value) if value else None


def _backoff(retries: int) -> float:
    return float(min(settings.EVENTS_RETRY_BACKOFF * 2**retries, settings.EVENTS_RETRY_BACKOFF_MAX))
