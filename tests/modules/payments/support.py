"""What payments tests (and, through the same helpers, the saga's) need: the fake provider
running in a thread on a free port, and a fresh resilience policy for it that is short enough for
tests (a breaker that opens after a few failures and half-opens within a fraction of a second)."""

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import connections

from app.bootstrap import runtime
from app.outbound import OutboundCalls
from contracts.kernel.outbound import outbound
from contracts.payments.commands import AuthorizePaymentV1, CapturePaymentV1, VoidPaymentV1
from scripts.fake_payment_provider import FakePaymentProvider

FAST_PROVIDER_POLICY: dict[str, Any] = {
    "timeout": 0.3,  # seconds per attempt
    "attempts": 2,
    "backoff_initial": 0.01,
    "backoff_max": 0.02,
    "backoff_jitter": 0.01,
    "failures_to_open": 3,
    "reset_after": 0.3,
}
FAST_PAYMENTS = {
    "PAYMENTS_RETRY_INITIAL": 0.05,
    "PAYMENTS_RETRY_MAX": 0.2,
    "PAYMENTS_LEASE_SECONDS": 5.0,
    "PAYMENTS_VOID_RECHECK_AFTER": 0.3,
}


@contextmanager
def provider_running(settings: Any, **behaviour: Any) -> Iterator[FakePaymentProvider]:
    """The fake provider on a free port, with payments pointed at it, and a fresh breaker."""
    with FakePaymentProvider(**behaviour) as provider:
        settings.PAYMENT_PROVIDER_URL = provider.url
        settings.OUTBOUND_TARGETS = {**settings.OUTBOUND_TARGETS, "payment-provider": FAST_PROVIDER_POLICY}
        for name, value in FAST_PAYMENTS.items():
            setattr(settings, name, value)
        outbound.bind(OutboundCalls(settings.OUTBOUND_TARGETS))
        try:
            yield provider
        finally:
            outbound.bind(runtime().outbound)


def provider_policy(settings: Any, **changes: Any) -> None:
    """Another policy for the provider (and a fresh breaker), for the rest of the test."""
    settings.OUTBOUND_TARGETS = {
        **settings.OUTBOUND_TARGETS,
        "payment-provider": {**FAST_PROVIDER_POLICY, **changes},
    }
    outbound.bind(OutboundCalls(settings.OUTBOUND_TARGETS))


def in_thread(work: Callable[[], Any]) -> threading.Thread:
    """``work()`` in a thread of its own (with its own database connection, closed at the end,
    as another processor's would be)."""

    def run() -> None:
        try:
            work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def breaker_state() -> str:
    calls: OutboundCalls = outbound._caller  # type: ignore[assignment]
    return calls.states().get("payment-provider", "closed")


def eventually(check: Callable[[], Any], *, within: float = 3.0, every: float = 0.02) -> Any:
    """``check()`` once it is truthy, polling; fails after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            assert result, f"not true within {within} s: {check}"
            return result
        time.sleep(every)


def authorize(
    order_id: uuid.UUID | None = None,
    *,
    amount: str = "25.00",
    email: str = "ann@example.com",
    command_id: uuid.UUID | None = None,
) -> AuthorizePaymentV1:
    return AuthorizePaymentV1(
        command_id=command_id or uuid.uuid4(),
        order_id=order_id or uuid.uuid4(),
        amount=Decimal(amount),
        currency="EUR",
        customer_email=email,
    )


def capture(order_id: uuid.UUID, command_id: uuid.UUID | None = None) -> CapturePaymentV1:
    return CapturePaymentV1(command_id=command_id or uuid.uuid4(), order_id=order_id)


def void(order_id: uuid.UUID, command_id: uuid.UUID | None = None) -> VoidPaymentV1:
    return VoidPaymentV1(command_id=command_id or uuid.uuid4(), order_id=order_id)
