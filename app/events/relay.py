"""The relay: moves committed outbox rows to their subscribers.

One pass over a database alias:
1. claim, in one short transaction: expand new events into one delivery per subscriber, then
   lease a batch of due deliveries (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite the
   IMMEDIATE transaction serializes claimers, which is the safe equivalent);
2. send each claimed delivery with no transaction or lock held;
3. record the outcomes in a second short transaction.

A relay that dies between 2 and 3 leaves leased deliveries that another pass re-sends once the
lease expires; the consumer's inbox absorbs the duplicate. Several relays can run at once: a
delivery leased by one is invisible to the others.
"""

import logging
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Protocol

from django.db import connections, transaction
from django.utils import timezone

from app.events.consumer import Outcome
from app.events.deliveries import (
    Leased,
    deliveries_create,
    deliveries_delivered,
    deliveries_lease,
    events_expand,
    events_load,
    leased,
)
from app.events.envelope import EventTypes, UnknownEventTypeError, Wire
from app.events.models import OutboxDelivery
from app.events.rows import bookkeeping_cursor
from app.events.subscriptions import SubscriptionRegistry
from contracts.kernel.subscriptions import Subscription

logger = logging.getLogger(__name__)


class Transport(Protocol):
    def send(self, *, wire: Wire, subscription: Subscription, fresh: bool) -> Outcome:
        """``fresh``: created by this pass, so never sent before (see ``Consumer.process``)."""
        ...

    def batch(self) -> AbstractContextManager[None]:
        """A block of sends that the transport may hand over together when it ends; raises
        ``TransportUnavailableError`` then if it could not (every ``SENT`` of the block is
        uncertain)."""
        ...


class TransportUnavailableError(RuntimeError):
    """Raised by a transport that cannot send anything right now (its broker is unreachable)."""


@dataclass(frozen=True, kw_only=True)
class RelayPolicy:
    batch_size: int = 100
    lease: timedelta = timedelta(seconds=30)
    backoff: float = 1.0
    backoff_max: float = 30.0

    def retry_at(self, now: datetime, attempts: int) -> datetime:
        return now + timedelta(seconds=min(self.backoff * 2 ** max(attempts - 1, 0), self.backoff_max))


@dataclass(frozen=True)
class Claim:
    deliveries: list[Leased]
    more: bool  # cut short by the batch size: another pass may find more


@dataclass(frozen=True)
class Result:
    delivery: Leased
    outcome: Outcome | None  # None: the transport failed
    error: str = ""
    transport_down: bool = False


@dataclass(frozen=True, kw_only=True)
class Relay:
    subscriptions: SubscriptionRegistry
    event_types: EventTypes
    transport: Transport
    policy: RelayPolicy

    def run_once(self, alias: str, *, new_only: bool = False) -> int:
        """One claim-send-record pass over ``alias``; returns how many deliveries it sent."""
        return self._pass(alias, new_only=new_only)[0]

    def drain(self, alias: str, *, new_only: bool = False) -> int:
        """Passes until nothing due is left (deliveries waiting for a retry stay waiting). With
        ``new_only``, only deliveries of events not yet expanded: what a commit just published
        (the inline drainer's passes; the relay loop's take everything due)."""
        total, more = 0, True
        while more:
            sent, more = self._pass(alias, new_only=new_only)
            total += sent
        return total

    def _pass(self, alias: str, *, new_only: bool) -> tuple[int, bool]:
        """(deliveries sent, whether the claim was cut short by the batch size)."""
        claim = self._claim(alias, new_only=new_only)
        if claim.deliveries:
            self._record(alias, self._send_batch(claim.deliveries))
        return len(claim.deliveries), claim.more

    def _claim(self, alias: str, *, new_only: bool = False) -> "Claim":
        """Lease a batch of due deliveries (unless ``new_only``), then expand new events into
        deliveries, leased as they are created, while the batch has room: one short transaction
        of two or three statements (one more when a due delivery's event was expanded by an
        earlier pass: a retry, a replay). Due deliveries come first, so a stream of new events
        never starves retries."""
        now, room = timezone.now(), self.policy.batch_size
        until = now + self.policy.lease
        with transaction.atomic(using=alias), bookkeeping_cursor(connections[alias]) as cursor:
            due = [] if new_only else deliveries_lease(cursor, now=now, until=until, limit=room)
            room -= len(due)
            events = events_expand(cursor, now=now, limit=room) if room else {}
            pairs = [(i, s.id) for i, e in events.items() for s in self.subscriptions.for_type(e["type"])]
            created = deliveries_create(cursor, pairs=pairs, now=now, until=until) if pairs else []
            events |= events_load(cursor, {row[1] for row in due} - events.keys())
        deliveries = leased(due, events, fresh=False) + leased(created, events, fresh=True)
        return Claim(sorted(deliveries, key=attrgetter("pk")), more=len(events) == room)

    def _send_batch(self, claimed: list[Leased]) -> list[Result]:
        """Send in order, in one transport batch: what was handed to a broker is only there once
        the batch is, so when handing it over fails, every delivery it sent is retried after the
        backoff (the inbox absorbs any that did arrive)."""
        results: list[Result] = []
        try:
            with self.transport.batch():
                self._send_each(claimed, results)
        except TransportUnavailableError as error:
            logger.warning("relay could not hand a batch of %d deliveries to the broker: %s", len(results), error)
            return [_unsent(result, str(error)) if result.outcome is Outcome.SENT else result for result in results]
        return results

    def _send_each(self, claimed: list[Leased], results: list[Result]) -> None:
        """Once the transport says it is down for a subscriber's module (its broker is
        unreachable), that module's other deliveries in the batch are not tried but retried
        after the backoff like the failed one. Trying them would cost each its own connection
        timeout (seconds with Celery on an unreachable Redis): the pass would outlast the batch's
        lease, so another relay would re-send the batch. Other modules' deliveries (in-process
        ones, say) are still sent."""
        down: dict[str, Result] = {}  # subscriber module -> the send that found its transport down
        for delivery in claimed:
            module = delivery.subscriber.partition(".")[0]  # as Subscription.module
            if module in down:
                results.append(Result(delivery, None, down[module].error, transport_down=True))
                continue
            result = self._send(delivery)
            if result.transport_down:
                down[module] = result
            results.append(result)

    def _send(self, delivery: Leased) -> Result:
        try:
            if delivery.wire["type"] not in self.event_types:  # decoded by the consumer, wherever it runs
                raise UnknownEventTypeError(f"unknown event type {delivery.wire['type']!r}")
            subscription = self.subscriptions.get(delivery.subscriber)
            outcome = self.transport.send(wire=delivery.wire, subscription=subscription, fresh=delivery.fresh)
            return Result(delivery, outcome)
        except TransportUnavailableError as error:
            logger.warning("relay could not send %s to %s: %s", delivery.event_id, delivery.subscriber, error)
            return Result(delivery, None, str(error), transport_down=True)
        except Exception as error:
            logger.warning("relay could not send %s to %s: %s", delivery.event_id, delivery.subscriber, error)
            return Result(delivery, None, f"{type(error).__name__}: {error}")

    def _record(self, alias: str, results: list[Result]) -> None:
        """One UPDATE for every delivered delivery of the batch (the common case: then it is the
        whole transaction), one more per failure."""
        now = timezone.now()
        delivered = [r.delivery.pk for r in results if _delivered(r)]
        failed = [r for r in results if not _delivered(r)]
        with (
            transaction.atomic(using=alias) if failed else nullcontext(),
            bookkeeping_cursor(connections[alias]) as cursor,
        ):
            deliveries_delivered(cursor, pks=delivered, now=now)
            for result in failed:
                _record_failure(alias, result, now, self.policy)


def _unsent(result: Result, error: str) -> Result:
    return Result(result.delivery, None, error, transport_down=True)


def _delivered(result: Result) -> bool:
    return result.outcome not in (None, Outcome.RETRY)


def _record_failure(alias: str, result: Result, now: datetime, policy: RelayPolicy) -> None:
    attempts = result.delivery.attempts + 1
    OutboxDelivery.objects.using(alias).filter(pk=result.delivery.pk).update(
        attempts=attempts,
        claimed_until=None,
        next_attempt_at=policy.retry_at(now, attempts),
        last_error=result.error or "the subscriber asked for a retry",
    )
