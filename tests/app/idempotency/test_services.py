"""The claim and purge services on one module database at a time."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from app.idempotency.models import IdempotencyRecord
from app.idempotency.request import IdempotentRequest
from app.idempotency.services import idempotency_claim, idempotency_purge_expired, idempotency_response_store
from tests.app.idempotency.support import records

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)

TTL = timedelta(hours=1)
REQUEST = IdempotentRequest(scope="principal:ann", key="k1", fingerprint="a" * 64)


def kept(*, alias: str, key: str, expires_in: timedelta) -> IdempotencyRecord:
    now = timezone.now()
    return IdempotencyRecord.objects.using(alias).create(
        scope="principal:ann",
        key=key,
        fingerprint="f" * 64,
        response_status=201,
        response_content_type="application/json",
        response_body=b"{}",
        created_at=now - TTL,
        expires_at=now + expires_in,
    )


def test_a_claim_outside_the_modules_transaction_is_an_error() -> None:
    with pytest.raises(RuntimeError, match=r"inside transaction.atomic\(using='orders'\)"):
        idempotency_claim(alias="orders", request=REQUEST, now=timezone.now(), ttl=TTL)
    assert records() == []


def test_a_claim_rolled_back_leaves_no_trace() -> None:
    with transaction.atomic(using="orders"):
        claimed = idempotency_claim(alias="orders", request=REQUEST, now=timezone.now(), ttl=TTL)
        assert claimed.response_status is None
        transaction.set_rollback(True, using="orders")
    assert records() == []


def test_a_stored_response_is_what_the_next_claim_finds() -> None:
    now = timezone.now()
    with transaction.atomic(using="orders"):
        claimed = idempotency_claim(alias="orders", request=REQUEST, now=now, ttl=TTL)
        idempotency_response_store(
            alias="orders", record=claimed, status=201, content_type="application/json", body=b'{"id": 1}'
        )
    with transaction.atomic(using="orders"):
        found = idempotency_claim(alias="orders", request=REQUEST, now=now + timedelta(minutes=5), ttl=TTL)
    assert (found.response_status, bytes(found.response_body), found.expires_at) == (201, b'{"id": 1}', now + TTL)


def test_an_expired_record_is_claimed_afresh() -> None:
    kept(alias="orders", key="k1", expires_in=-timedelta(seconds=1))
    now = timezone.now()
    with transaction.atomic(using="orders"):
        claimed = idempotency_claim(alias="orders", request=REQUEST, now=now, ttl=TTL)
    assert (claimed.response_status, claimed.fingerprint, claimed.expires_at) == (None, REQUEST.fingerprint, now + TTL)
    assert len(records()) == 1


def test_purge_removes_only_expired_records_of_its_database() -> None:
    kept(alias="orders", key="old", expires_in=-timedelta(seconds=1))
    kept(alias="orders", key="live", expires_in=timedelta(hours=1))
    kept(alias="inventory", key="old", expires_in=-timedelta(seconds=1))

    assert idempotency_purge_expired(alias="orders") == 1

    assert [r.key for r in records("orders")] == ["live"]
    assert [r.key for r in records("inventory")] == ["old"]


def test_purge_as_of_a_given_time() -> None:
    kept(alias="orders", key="live", expires_in=timedelta(hours=1))

    assert idempotency_purge_expired(alias="orders", now=timezone.now() + timedelta(minutes=30)) == 0
    assert idempotency_purge_expired(alias="orders", now=timezone.now() + timedelta(hours=2)) == 1
    assert records() == []
