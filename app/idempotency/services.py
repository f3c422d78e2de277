"""Writes on the idempotency records of one module database (always an explicit alias).

The claim, the request it protects and the stored response share one transaction on the
module's alias (see middleware.py), so a key is either absent or holds its response, never
"in progress" for anyone else to see.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from app.idempotency.models import IdempotencyRecord
from app.idempotency.request import IdempotentRequest


def idempotency_claim(*, alias: str, request: IdempotentRequest, now: datetime, ttl: timedelta) -> IdempotencyRecord:
    """The record for ``request``'s key, locked until the caller's transaction ends.

    A record whose ``response_status`` is None is this transaction's own claim (the key was
    absent or expired): run the request and store its response. Otherwise it is a live record
    committed by an earlier request: replay it, or refuse if the fingerprints differ.

    PostgreSQL: the INSERT of a key another transaction has just inserted waits for that
    transaction; DO NOTHING then leaves its row, which FOR UPDATE reads once committed (or the
    INSERT goes through if it rolled back). SQLite: the transaction already holds the database's
    write lock (BEGIN IMMEDIATE), so there is nobody to race.
    """
    if not transaction.get_connection(alias).in_atomic_block:
        raise RuntimeError(f"idempotency_claim must run inside transaction.atomic(using={alias!r})")
    records = IdempotencyRecord.objects.using(alias)
    fresh = IdempotencyRecord(
        scope=request.scope, key=request.key, fingerprint=request.fingerprint, created_at=now, expires_at=now + ttl
    )
    records.bulk_create([fresh], ignore_conflicts=True)
    record = records.select_for_update().get(scope=request.scope, key=request.key)
    if record.response_status is not None and record.expires_at <= now:
        _record_reset(record, request=request, now=now, ttl=ttl, alias=alias)  # expired: as if absent
    return record


def _record_reset(
    record: IdempotencyRecord, *, request: IdempotentRequest, now: datetime, ttl: timedelta, alias: str
) -> None:
    record.fingerprint = request.fingerprint
    record.response_status = None
    record.response_content_type = ""
    record.response_body = b""
    record.created_at = now
    record.expires_at = now + ttl
    record.save(using=alias)


def idempotency_response_store(
    *, alias: str, record: IdempotencyRecord, status: int, content_type: str, body: bytes
) -> None:
    record.response_status = status
    record.response_content_type = content_type
    record.response_body = body
    record.save(using=alias, update_fields=["response_status", "response_content_type", "response_body"])


def idempotency_claim_release(*, alias: str, record: IdempotencyRecord) -> None:
    """Forget a claim whose response cannot be stored, keeping what the request did."""
    record.delete(using=alias)


def idempotency_purge_expired(*, alias: str, now: datetime | None = None) -> int:
    """Delete the records of ``alias`` that expired by ``now``; how many."""
    deleted, _ = IdempotencyRecord.objects.using(alias).filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
