"""What operators do with events: look at the lag, inspect dead letters, replay, purge.

Replaying always goes back through the outbox (a delivery reset to pending), so a replay is
delivered by the relay like any other event, with the same retries, and the consumer's inbox
makes it harmless for whoever already processed the event.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from app.events.models import DeadLetter, InboxEntry, OutboxDelivery, OutboxEvent


class OperationError(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class AliasStatus:
    alias: str
    unexpanded: int
    pending: int
    retrying: int
    oldest_pending: datetime | None
    dead_letters: int

    def lag_seconds(self, now: datetime) -> float:
        return (now - self.oldest_pending).total_seconds() if self.oldest_pending else 0.0


def status(alias: str) -> AliasStatus:
    pending = OutboxDelivery.objects.using(alias).filter(delivered_at__isnull=True)
    counts = pending.aggregate(n=Count("id"), retrying=Count("id", filter=Q(attempts__gt=0)), oldest=Min("event__time"))
    unexpanded = OutboxEvent.objects.using(alias).filter(expanded_at__isnull=True)
    oldest_unexpanded = unexpanded.aggregate(oldest=Min("time"))["oldest"]
    return AliasStatus(
        alias=alias,
        unexpanded=unexpanded.count(),
        pending=counts["n"],
        retrying=counts["retrying"],
        oldest_pending=min(filter(None, (counts["oldest"], oldest_unexpanded)), default=None),
        dead_letters=DeadLetter.objects.using(alias).filter(replayed_at__isnull=True).count(),
    )


def dead_letter_list(alias: str, *, subscriber: str | None = None) -> list[DeadLetter]:
    letters = DeadLetter.objects.using(alias).filter(replayed_at__isnull=True).order_by("created_at")
    return list(letters.filter(subscriber=subscriber) if subscriber else letters)


def dead_letter_get(alias: str, pk: int) -> DeadLetter:
    try:
        return DeadLetter.objects.using(alias).get(pk=pk)
    except DeadLetter.DoesNotExist:
        raise OperationError(f"no dead letter {alias}:{pk}") from None


def dead_letter_replay(*, consumer_alias: str, pk: int, publisher_alias: str) -> DeadLetter:
    """Put the dead letter's envelope back into the publisher's outbox for that one subscriber."""
    letter = dead_letter_get(consumer_alias, pk)
    if letter.replayed_at is not None:
        raise OperationError(f"dead letter {consumer_alias}:{pk} was already replayed at {letter.replayed_at}")
    with transaction.atomic(using=consumer_alias):
        InboxEntry.objects.using(consumer_alias).filter(subscriber=letter.subscriber, event_id=letter.event_id).update(
            attempts=0, last_error=""
        )
        letter.replayed_at = timezone.now()
        letter.save(update_fields=["replayed_at"])
    outbox_requeue(alias=publisher_alias, wire=letter.envelope, subscriber=letter.subscriber)
    return letter


def outbox_requeue(*, alias: str, wire: dict[str, Any], subscriber: str) -> None:
    now = timezone.now()
    with transaction.atomic(using=alias):
        event, _ = OutboxEvent.objects.using(alias).get_or_create(
            id=UUID(wire["id"]),
            defaults={
                "type": wire["type"],
                "source": wire["source"],
                "subject": wire.get("subject", ""),
                "time": datetime.fromisoformat(wire["time"]),
                "data": wire["data"],
                "headers": wire.get("headers", {}),
                "expanded_at": now,
            },
        )
        OutboxDelivery.objects.using(alias).update_or_create(
            event=event,
            subscriber=subscriber,
            defaults={"delivered_at": None, "attempts": 0, "next_attempt_at": now, "claimed_until": None},
        )


def replay_range(alias: str, *, since: datetime, until: datetime, subscriber: str | None = None) -> int:
    """Reset every delivered delivery of events published in [since, until) to pending."""
    if since >= until:
        raise OperationError(f"--since ({since.isoformat()}) must be before --until ({until.isoformat()})")
    deliveries = OutboxDelivery.objects.using(alias).filter(
        event__time__gte=since, event__time__lt=until, delivered_at__isnull=False
    )
    if subscriber:
        deliveries = deliveries.filter(subscriber=subscriber)
    return deliveries.update(delivered_at=None, attempts=0, next_attempt_at=timezone.now(), claimed_until=None)


def purge(alias: str, *, older_than: timedelta) -> tuple[int, int]:
    """Delete fully delivered events (and processed inbox entries) older than ``older_than``.
    Never an event with an undelivered delivery, and never a dead letter."""
    cutoff = timezone.now() - older_than
    with transaction.atomic(using=alias):
        old = OutboxEvent.objects.using(alias).filter(time__lt=cutoff, expanded_at__isnull=False)
        undelivered = OutboxDelivery.objects.using(alias).filter(delivered_at__isnull=True).values("event_id")
        events, _ = old.exclude(id__in=undelivered).delete()
        inbox, _ = InboxEntry.objects.using(alias).filter(processed_at__lt=cutoff).delete()
    return events, inbox
