"""The Celery side of event delivery: one task per (event, subscriber)."""

import logging
from typing import Any

from celery import Task, shared_task
from celery.exceptions import Retry
from django.conf import settings

from app.bootstrap import runtime
from app.events.consumer import Outcome

logger = logging.getLogger(__name__)

# Failures around the handler (its database down while counting the attempt, a subscriber this
# deployment does not know) are retried too: on Redis an acked or rejected message is gone, so
# giving up silently would lose the event until someone replays the outbox. They are bounded,
# since they never reach the inbox's attempt counter.
INFRASTRUCTURE_RETRIES = 20


@shared_task(bind=True, name="events.deliver", max_retries=None)
def deliver(self: Task, wire: dict[str, Any], subscriber_id: str) -> str:
    """Run the consumer (inbox, attempts, dead letters) for this delivery. A handler failure is
    retried with a backoff that stays below the broker's visibility timeout."""
    try:
        outcome = _process(wire, subscriber_id)
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


def _process(wire: dict[str, Any], subscriber_id: str) -> Outcome:
    current = runtime()
    envelope = current.event_types.envelope_from_wire(wire)
    return current.consumer.process(envelope, current.subscriptions.get(subscriber_id))


def _backoff(retries: int) -> float:
    return float(min(settings.EVENTS_RETRY_BACKOFF * 2**retries, settings.EVENTS_RETRY_BACKOFF_MAX))
