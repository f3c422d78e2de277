"""The consuming side of a delivery: the inbox makes it idempotent, attempts are counted, and a
delivery that keeps failing becomes a dead letter instead of looping.

Every transport ends here (the in-process relay calls it directly, a Celery task calls it in a
worker), so switching transports changes no semantics.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any
from uuid import UUID

from django.db import connections, transaction
from django.utils import timezone

from app import propagation
from app.events.claim import AlreadyClaimed, Claim, LazyClaim
from app.events.context import handling
from app.events.envelope import Envelope
from app.events.models import DeadLetter, InboxEntry
from app.events.rows import asynchronous_commit, bookkeeping_cursor, moment, param, table
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
class Attempt:
    """The inbox entry as the attempt's upsert left it."""

    pk: int
    subscriber: str
    event_id: UUID
    attempts: int
    last_error: str


@dataclass(frozen=True, kw_only=True)
class Consumer:
    alias_for_module: Callable[[str], str]
    max_attempts: int

    @observe_delivery
    def process(self, envelope: Envelope, subscription: Subscription, *, first: bool = False) -> Outcome:
        """Hands ``envelope`` to ``subscription``'s handler; its effects happen once at most.

        ``first``: the transport vouches that no attempt of this delivery can have started
        before (the relay created it in this pass; the broker never delivered it before). Such
        an attempt is counted with its outcome, with the handler's effects (or, when the
        handler fails, in a transaction of its own), which spares a round trip and a commit on
        every delivery. One that dies with its process goes uncounted, but what comes back is
        no longer first: a message that keeps killing its worker is dead-lettered after one
        attempt more than ``max_attempts``."""
        alias = self.alias_for_module(subscription.module)
        if first:
            claim = partial(_insert_processed, subscription=subscription, envelope=envelope)
            outcome = self._attempt(alias, envelope, subscription, claim=claim, counted=None)
            if outcome is not None:  # None: the inbox knew it already (a replay, a racing duplicate)
                return outcome
        entry = _attempt_start(alias=alias, subscription=subscription, envelope=envelope)
        if entry is None:
            return Outcome.DUPLICATE
        if entry.attempts > self.max_attempts:  # earlier attempts died without recording why
            return self._give_up(alias, entry, envelope, entry.last_error or "the handler never finished")
        claim = partial(_mark_processed, pk=entry.pk)
        return self._attempt(alias, envelope, subscription, claim=claim, counted=entry) or Outcome.DUPLICATE

    def _attempt(
        self,
        alias: str,
        envelope: Envelope,
        subscription: Subscription,
        *,
        claim: Claim,
        counted: Attempt | None,
    ) -> Outcome | None:
        """Runs the handler; None when ``claim`` found the inbox entry taken. A failure is
        recorded on the attempt's entry: ``counted``, or one counted now."""
        try:
            handled = _handle(alias=alias, envelope=envelope, subscription=subscription, claim=claim)
        except Exception as error:
            logger.exception("subscriber %s failed on event %s (%s)", subscription.id, envelope.id, envelope.type)
            entry = counted or _attempt_start(alias=alias, subscription=subscription, envelope=envelope)
            if entry is None:  # processed meanwhile, by a duplicate
                return Outcome.DUPLICATE
            return self._failed(alias, entry, envelope, f"{type(error).__name__}: {error}")
        return Outcome.DONE if handled else None

    def _failed(self, alias: str, entry: Attempt, envelope: Envelope, error: str) -> Outcome:
        if entry.attempts >= self.max_attempts:
            return self._give_up(alias, entry, envelope, error)
        InboxEntry.objects.using(alias).filter(pk=entry.pk).update(last_error=error)
        return Outcome.RETRY

    def _give_up(self, alias: str, entry: Attempt, envelope: Envelope, error: str) -> Outcome:
        dead_letter_write(alias=alias, entry=entry, envelope=envelope, error=error)
        logger.error("dead-lettered event %s for %s after %d attempts", envelope.id, entry.subscriber, entry.attempts)
        return Outcome.DEAD


def _attempt_start(*, alias: str, subscription: Subscription, envelope: Envelope) -> Attempt | None:
    """Count the attempt in its own committed statement, before the handler runs, so an attempt
    that kills its process still counts. None when the event was already processed (or sits in
    the dead-letter table). One upsert: this runs for every delivery, so round trips matter."""
    pk, attempts, processed_at, last_error = _upsert_attempt(
        connections[alias], subscription=subscription, envelope=envelope
    )
    entry = Attempt(pk=pk, subscriber=subscription.id, event_id=envelope.id, attempts=attempts, last_error=last_error)
    if processed_at is not None or (attempts > 1 and _is_dead(alias, entry)):
        return None
    return entry


def _upsert_attempt(connection: Any, *, subscription: Subscription, envelope: Envelope) -> tuple[Any, ...]:
    inbox = table(connection, InboxEntry)
    with bookkeeping_cursor(connection) as cursor:
        cursor.execute(
            f"INSERT INTO {inbox} (subscriber, event_id, event_type, attempts, processed_at, last_error, created_at) "
            f"{_attempt_row(connection)} "
            "ON CONFLICT (subscriber, event_id) DO UPDATE SET attempts = "
            f"CASE WHEN {inbox}.processed_at IS NULL THEN {inbox}.attempts + 1 ELSE {inbox}.attempts END "
            "RETURNING id, attempts, processed_at, last_error",
            [
                subscription.id,
                param(connection, InboxEntry, "event_id", envelope.id),
                envelope.type,
                moment(connection, timezone.now()),
            ],
        )
        row: tuple[Any, ...] = cursor.fetchone()
    return row


def _attempt_row(connection: Any) -> str:
    """The inserted row. When the upsert is its own transaction it commits asynchronously on
    PostgreSQL (see ``asynchronous_commit``): the counter only has to survive this process
    dying, and the handler's transaction, which commits synchronously right after, flushes it
    too. A database crash in between could forget one attempt (a poison message would get one
    more try); the WAL flush it saves is half of those of every delivery."""
    source = "" if connection.in_atomic_block else asynchronous_commit(connection)
    if source:
        return f"SELECT %s, %s, %s, 1, NULL, '', %s FROM {source}"
    return "VALUES (%s, %s, %s, 1, NULL, '', %s)"


def _is_dead(alias: str, entry: Attempt) -> bool:
    dead = DeadLetter.objects.using(alias).filter(subscriber=entry.subscriber, event_id=entry.event_id)
    return dead.filter(replayed_at__isnull=True).exists()


def _handle(*, alias: str, envelope: Envelope, subscription: Subscription, claim: Claim) -> bool:
    """The handler's effects and the inbox mark commit together, or not at all; False (nothing
    done) when ``claim`` finds the entry taken. The claim comes before the handler's first
    statement (see ``app.events.claim``), or alone after a handler that left nothing to commit.
    The event's context (actor, correlation, causation) spans the commit, so work a handler
    defers to ``on_commit`` (an outbound call, say) still acts for, and is caused by, this event."""
    connection = connections[alias]
    lazy = LazyClaim(connection, claim)
    with handling(envelope), propagation.restored(envelope.headers):
        try:
            with transaction.atomic(using=alias), lazy:
                subscription.handler(envelope.data)
                lazy.settle()
        except AlreadyClaimed:
            return False
        return lazy.claim_alone()


def _insert_processed(connection: Any, *, subscription: Subscription, envelope: Envelope) -> bool:
    """A first attempt's inbox entry, counted and processed, with the handler's effects (see
    ``_handle``); False when there is one already."""
    inbox = table(connection, InboxEntry)
    at = moment(connection, timezone.now())
    with bookkeeping_cursor(connection) as cursor:
        cursor.execute(
            f"INSERT INTO {inbox} (subscriber, event_id, event_type, attempts, processed_at, last_error, created_at) "
            "VALUES (%s, %s, %s, 1, %s, '', %s) ON CONFLICT (subscriber, event_id) DO NOTHING",
            [subscription.id, param(connection, InboxEntry, "event_id", envelope.id), envelope.type, at, at],
        )
        return bool(cursor.rowcount)


def _mark_processed(connection: Any, *, pk: int) -> bool:
    with bookkeeping_cursor(connection) as cursor:
        cursor.execute(
            f"UPDATE {table(connection, InboxEntry)} SET processed_at = %s WHERE id = %s AND processed_at IS NULL",
            [moment(connection, timezone.now()), pk],
        )
        return bool(cursor.rowcount)


def dead_letter_write(*, alias: str, entry: Attempt, envelope: Envelope, error: str) -> None:
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
