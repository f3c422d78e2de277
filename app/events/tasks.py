"""The Celery side of event delivery: one task per (event, subscriber)."""

from typing import Any

from celery import Task, shared_task
from django.conf import settings

from app.bootstrap import runtime
from app.events.consumer import Outcome


@shared_task(bind=True, name="events.deliver", max_retries=None)
def deliver(self: Task, wire: dict[str, Any], subscriber_id: str) -> str:
    """Run the consumer (inbox, attempts, dead letters) for this delivery. A handler failure is
    retried with a backoff that stays below the broker's visibility timeout."""
    current = runtime()
    envelope = current.event_types.envelope_from_wire(wire)
    outcome = current.consumer.process(envelope, current.subscriptions.get(subscriber_id))
    if outcome is Outcome.RETRY:
        raise self.retry(countdown=_backoff(self.request.retries))
    return outcome.value


def _backoff(retries: int) -> float:
    return float(min(settings.EVENTS_RETRY_BACKOFF * 2**retries, settings.EVENTS_RETRY_BACKOFF_MAX))
