"""The consuming side of a delivery: the inbox makes it idempotent, attempts are counted, and a
delivery that keeps failing becomes a dead letter instead of looping.

Every transport ends here (the in-process relay calls it directly, a Celery task calls it in a
worker), so switching transports changes no semantics.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import connections, transaction
from django.utils import timezone

from app import propagation
from app.events.context import handling
from app.events.envelope import Envelope
from app.events.models import DeadLetter, InboxEntry
from app.observability.events import observe_delivery
from contracts.kernel.subscriptions import Subscription

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    DONE = "done"  # the handler ran and its effects committed with the inbox mark
    DUPLICATE = "duplicate"  # already processed: nothing done
    RETRY = "retry"  # the handler failed; deliver again later
    DEAD = "dead"  # failed too often: moved to the dead-letter table
    SENT = "sent"  # handed to a broker; the consumer there takes it from here


@dataclass(frozen=True, kw_only=True)
class Consumer:
    alias_for_module: Callable[[str], str]
    max_attempts: int

    @observe_delivery
    def process(self, envelope: Envelope, subscription: Subscription) -> Outcome:
        alias = self.alias_for_module(subscription.module)
        entry = _attempt_start(alias=alias, subscription=subscription, envelope=envelope)
        if entry is None:
            return Outcome.DUPLICATE
        if entry.attempts > self.max_attempts:  # earlier attempts died without recording why
            return self._give_up(alias, entry, envelope, entry.last_error or "the handler never finished")
        try:
            return _handle(alias=alias, entry=entry, envelope=envelope, subscription=subscription)
        except Exception as error:
            logger.exception("subscriber %s failed on event %s (%s)", subscription.id, envelope.id, envelope.type)
            return self._failed(alias, entry, envelope, f"{type(error).__name__}: {error}")

    def _failed(self, alias: str, entry: InboxEntry, envelope: Envelope, error: str) -> Outcome:
        if entry.attempts >= self.max_attempts:
            return self._give_up(alias, entry, envelope, error)
        InboxEntry.objects.using(alias).filter(pk=entry.pk).update(last_error=error)
        return Outcome.RETRY

    def _give_up(self, alias: str, entry: InboxEntry, envelope: Envelope, error: str) -> Outcome:
        dead_letter_write(alias=alias, entry=entry, envelope=envelope, error=error)
        logger.error("dead-lettered event %s for %s after %d attempts", envelope.id, entry.subscriber, entry.attempts)
        return Outcome.DEAD


def _attempt_start(*, alias: str, subscription: Subscription, envelope: Envelope) -> InboxEntry | None:
    """Count the attempt in its own committed statement, before the handler runs, so an attempt
    that kills its process still counts. None when the event was already processed (or sits in
    the dead-letter table). One upsert: this runs for every delivery, so round trips matter."""
    connection = connections[alias]
    row = _upsert_attempt(connection, subscription=subscription, envelope=envelope)
    entry = InboxEntry(
        pk=row[0],
        subscriber=subscription.id,
        event_id=envelope.id,
        event_type=envelope.type,
        attempts=row[1],
        last_error=row[3],
    )
    entry._state.db = alias
    if row[2] is not None or (entry.attempts > 1 and _is_dead(alias, entry)):
        return None
    return entry


def _upsert_attempt(connection: Any, *, subscription: Subscription, envelope: Envelope) -> tuple[Any, ...]:
    table = connection.ops.quote_name(InboxEntry._meta.db_table)
    prep = {f.name: f for f in InboxEntry._meta.fields}
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (subscriber, event_id, event_type, attempts, processed_at, last_error, created_at) "
            "VALUES (%s, %s, %s, 1, NULL, '', %s) "
            "ON CONFLICT (subscriber, event_id) DO UPDATE SET attempts = "
            f"CASE WHEN {table}.processed_at IS NULL THEN {table}.attempts + 1 ELSE {table}.attempts END "
            "RETURNING id, attempts, processed_at, last_error",
            [
                subscription.id,
                prep["event_id"].get_db_prep_value(envelope.id, connection),
                envelope.type,
                prep["created_at"].get_db_prep_value(timezone.now(), connection),
            ],
        )
        row: tuple[Any, ...] = cursor.fetchone()
    return row


def _is_dead(alias: str, entry: InboxEntry) -> bool:
    dead = DeadLetter.objects.using(alias).filter(subscriber=entry.subscriber, event_id=entry.event_id)
    return dead.filter(replayed_at__isnull=True).exists()


def _handle(*, alias: str, entry: InboxEntry, envelope: Envelope, subscription: Subscription) -> Outcome:
    """The handler's effects and the inbox mark commit together, or not at all. Marking first
    takes the row's lock: a concurrent duplicate waits here, then finds it processed."""
    with transaction.atomic(using=alias):
        marked = (
            InboxEntry.objects.using(alias)
            .filter(pk=entry.pk, processed_at__isnull=True)
            .update(processed_at=timezone.now())
        )
        if not marked:  # a concurrent duplicate won the race
            return Outcome.DUPLICATE
        with handling(envelope), propagation.restored(envelope.headers):
            subscription.handler(envelope.data)
    return Outcome.DONE


def dead_letter_write(*, alias: str, entry: InboxEntry, envelope: Envelope, error: str) -> None:
    with transaction.atomic(using=alias):
        DeadLetter.objects.using(alias).update_or_create(
            subscriber=entry.subscriber,
            event_id=entry.event_id,
            defaults={
                "event_type": envelope.type,
                "envelope": envelope.to_wire(),
                "attempts": entry.attempts,
                "error": error,
                "replayed_at": None,
            },
        )
        InboxEntry.objects.using(alias).filter(pk=entry.pk).update(last_error=error)
