"""Processing provider operations: outages (the breaker opens, payments queue, the job completes
them when the provider is back, without a new command), slow answers (timeouts), voids of queued
authorizations, and concurrent processors. Money always reconciles at the provider."""

import time
import uuid
from decimal import Decimal

import pytest
from django.db import OperationalError

from contracts.kernel.commands import command_id_for
from contracts.payments.events import PaymentAuthorizedV1, PaymentQueuedV1, PaymentVoidedV1
from modules.payments import services
from modules.payments.domain import Operation, PaymentStatus
from modules.payments.handlers import on_authorize_payment, on_capture_payment, on_void_payment
from modules.payments.models import Payment
from tests.modules.payments.support import (
    FAST_PROVIDER_POLICY,
    authorize,
    breaker_state,
    capture,
    eventually,
    in_thread,
    provider_policy,
    void,
)

pytestmark = pytest.mark.django_db(databases=["payments"], transaction=True)


def payment_of(command) -> Payment:
    return Payment.objects.get(order_id=command.order_id)


def due_now(payment: Payment) -> None:
    Payment.objects.filter(pk=payment.pk).update(next_attempt_at=payment.created_at)


def run_job_until(done, *, within: float = 3.0) -> None:
    """The job, every 20 ms, until ``done()`` (as the job thread would, only faster)."""
    eventually(lambda: services.payments_process_due() >= 0 and done(), within=within)


# --- the provider down -------------------------------------------------------------------------


def test_a_provider_outage_opens_the_breaker_queues_the_payment_and_the_job_completes_it(provider, published) -> None:
    provider.configure(failure_rate=1.0)  # every request answered 503
    command = authorize()
    on_authorize_payment(command)
    assert payment_of(command).status == PaymentStatus.QUEUED
    assert published.of_type(PaymentQueuedV1)[0].command_id == command.command_id

    # The job retries with backoff; after `failures_to_open` failures the breaker opens and the
    # provider stops receiving requests: retries fail fast, without a connection.
    run_job_until(lambda: breaker_state() == "open")
    received = provider.count()
    assert received == FAST_PROVIDER_POLICY["failures_to_open"]
    for _ in range(2):  # two more rounds at once, within the breaker's reset time: both fail fast
        rounds = payment_of(command).attempts
        due_now(payment_of(command))
        assert services.payment_process(payment_id=payment_of(command).pk)
        assert payment_of(command).attempts == rounds + 1
        assert "circuit open" in payment_of(command).last_error
    assert provider.count() == received

    provider.configure(failure_rate=0.0)  # back; the breaker half-opens by itself after its reset time
    run_job_until(lambda: payment_of(command).status == PaymentStatus.AUTHORIZED)
    assert breaker_state() == "closed"
    [authorized] = published.of_type(PaymentAuthorizedV1)
    assert authorized.command_id == command.command_id  # answers the original command: none was re-sent
    assert len(published.of_type(PaymentQueuedV1)) == 1  # announced once, not at every retry
    assert provider.total("authorized") == Decimal("25.00")
    assert len(provider.authorizations()) == 1


def test_a_provider_that_is_not_even_listening_queues_the_payment_until_it_is_started_again(
    provider, published
) -> None:
    provider.stop()  # connection refused
    command = authorize()
    on_authorize_payment(command)
    payment = payment_of(command)
    assert (payment.status, payment.provider_contacted) == (PaymentStatus.QUEUED, False)
    assert "ConnectError" in payment.last_error

    provider.start()  # same port, same ledger
    run_job_until(lambda: payment_of(command).status == PaymentStatus.AUTHORIZED, within=4.0)
    assert published.of_type(PaymentAuthorizedV1)[0].command_id == command.command_id
    assert provider.total("authorized") == Decimal("25.00")


def test_backoff_grows_between_rounds_and_is_capped(provider) -> None:
    provider.stop()  # PAYMENTS_RETRY_INITIAL 0.05 s, PAYMENTS_RETRY_MAX 0.2 s (support.FAST_PAYMENTS)
    command = authorize()
    on_authorize_payment(command)
    waits = []
    for _ in range(4):
        payment = payment_of(command)
        assert payment.next_attempt_at is not None
        waits.append((payment.next_attempt_at - payment.updated_at).total_seconds())
        Payment.objects.filter(pk=payment.pk).update(next_attempt_at=payment.updated_at)  # due now
        services.payment_process(payment_id=payment.pk)
    assert waits[0] == pytest.approx(0.05, abs=0.02)
    assert waits[1] == pytest.approx(0.1, abs=0.03)
    assert waits[2] == pytest.approx(0.2, abs=0.03)
    assert waits[3] == pytest.approx(0.2, abs=0.03)  # capped at PAYMENTS_RETRY_MAX


def test_a_capture_is_retried_until_the_provider_takes_it_with_no_answer_before(provider, published) -> None:
    command = authorize()
    on_authorize_payment(command)
    provider.configure(failure_rate=1.0)
    asked = capture(command.order_id)
    on_capture_payment(asked)
    payment = payment_of(command)
    assert (payment.status, payment.operation) == (PaymentStatus.AUTHORIZED, Operation.CAPTURE)
    assert [type(e) for e in published.events] == [PaymentAuthorizedV1]  # no reply yet, not even "queued"

    provider.configure(failure_rate=0.0)
    run_job_until(lambda: payment_of(command).status == PaymentStatus.CAPTURED)
    assert published.events[-1].command_id == asked.command_id
    assert provider.total("captured") == Decimal("25.00")


# --- a slow provider ---------------------------------------------------------------------------


def test_a_slow_provider_times_out_the_payment_queues_and_the_retry_finds_the_same_authorization(
    provider, published
) -> None:
    provider.configure(latency=0.5)  # over the 0.3 s timeout per attempt
    command = authorize()
    started = time.monotonic()
    on_authorize_payment(command)
    assert time.monotonic() - started < 1.5  # 2 attempts x 0.3 s, not 2 x 0.5 s
    payment = payment_of(command)
    assert (payment.status, payment.provider_contacted) == (PaymentStatus.QUEUED, True)
    assert "ReadTimeout" in payment.last_error

    provider.configure(latency=0.0)
    run_job_until(lambda: payment_of(command).status == PaymentStatus.AUTHORIZED)
    # Three requests reached the provider (two timed out, then the retry), one authorization.
    assert provider.count("POST") == 3
    [held] = provider.authorizations()
    assert published.of_type(PaymentAuthorizedV1)[0].provider_reference == held["id"]


# --- voiding a queued authorization --------------------------------------------------------------


def test_void_of_a_payment_queued_before_any_request_left_is_answered_at_once(provider, published) -> None:
    provider.stop()
    command = authorize()
    on_authorize_payment(command)
    asked = void(command.order_id)
    on_void_payment(asked)
    assert published.events[-1] == PaymentVoidedV1(order_id=command.order_id, command_id=asked.command_id)
    payment = payment_of(command)
    assert (payment.status, payment.operation, payment.next_attempt_at) == (PaymentStatus.VOIDED, "", None)

    provider.start()
    services.payments_process_due()
    assert provider.authorizations() == []  # the retries stopped: nothing was ever authorized


def test_void_of_a_payment_whose_authorization_timed_out_releases_what_the_provider_created_late(
    provider, published, settings, caplog
) -> None:
    settings.PAYMENTS_VOID_RECHECK_AFTER = 0.8  # longer than the provider still takes
    provider.configure(latency=1.0)
    command = authorize()
    on_authorize_payment(command)  # both attempts time out (0.3 s); the provider creates it at ~1 s
    assert payment_of(command).status == PaymentStatus.QUEUED
    provider.configure(latency=0.0)  # requests from now on are fast; the two in flight still sleep

    asked = void(command.order_id)
    on_void_payment(asked)  # the lookup does not see the late authorization yet...
    assert published.events[-1] == PaymentVoidedV1(order_id=command.order_id, command_id=asked.command_id)
    assert payment_of(command).operation == Operation.RECHECK
    assert provider.authorizations() == []

    # ...so it looks again later, and releases what landed meanwhile.
    run_job_until(lambda: payment_of(command).operation == Operation.NONE)
    assert [a["status"] for a in provider.authorizations()] == ["voided"]
    assert provider.total("authorized") == 0
    assert "voided 1 authorization(s) that landed late" in caplog.text
    assert len(published.of_type(PaymentVoidedV1)) == 1


def test_void_of_a_queued_payment_while_the_provider_is_still_down_waits_for_it(provider, published) -> None:
    provider.configure(failure_rate=1.0)  # 503s: the request may have been acted on
    command = authorize()
    on_authorize_payment(command)
    asked = void(command.order_id)
    on_void_payment(asked)
    payment = payment_of(command)
    assert (payment.status, payment.operation) == (PaymentStatus.VOIDED, Operation.VOID)
    assert not published.of_type(PaymentVoidedV1)

    on_authorize_payment(command)  # a re-sent authorize meanwhile is refused
    assert "voided" in published.events[-1].reason

    provider.configure(failure_rate=0.0)
    run_job_until(lambda: bool(published.of_type(PaymentVoidedV1)))
    assert published.of_type(PaymentVoidedV1)[0].command_id == asked.command_id
    assert provider.authorizations() == []


# --- concurrency: never two calls for one operation ----------------------------------------------


def test_two_processors_racing_for_one_payment_make_one_provider_call(provider, published) -> None:
    provider.configure(failure_rate=1.0)
    command = authorize()
    on_authorize_payment(command)
    provider.configure(failure_rate=0.0, latency=0.1)
    payment = payment_of(command)
    due_now(payment)
    before = provider.count("POST")

    results: list[bool] = []
    threads = [in_thread(lambda: results.append(_process_waiting_for_locks(payment.pk))) for _ in range(4)]
    for thread in threads:
        thread.join(timeout=5)
    assert sorted(results) == [False, False, False, True]
    assert provider.count("POST") == before + 1
    assert len(published.of_type(PaymentAuthorizedV1)) == 1


def _process_waiting_for_locks(payment_id: uuid.UUID) -> bool:
    """The test databases are SQLite in memory with a shared cache, whose table locks fail at
    once instead of waiting like the file databases (busy timeout) and PostgreSQL do: wait here."""
    for _ in range(200):
        try:
            return services.payment_process(payment_id=payment_id)
        except OperationalError as error:
            if "locked" not in str(error):
                raise
            time.sleep(0.01)
    raise AssertionError("the payments table stayed locked for 2 s")


def test_a_processor_that_lost_its_lease_discards_its_outcome_and_nothing_happens_twice(
    provider, published, settings
) -> None:
    provider_policy(settings, timeout=3.0)  # no attempt times out here, however busy the machine
    settings.PAYMENTS_LEASE_SECONDS = 0.1  # shorter than the provider's answer: the first one "hangs"
    provider.configure(latency=0.4)
    command = authorize()
    first = in_thread(
        lambda: on_authorize_payment(command)
    )  # claims, calls the provider, and its lease runs out meanwhile
    eventually(lambda: provider.count("POST") == 1)
    time.sleep(0.15)
    assert services.payments_process_due() == 1  # another processor takes the expired claim over
    first.join(timeout=5)
    assert provider.count("POST") == 2  # both reached the provider, with one idempotency key...
    assert len(provider.authorizations()) == 1  # ...so there is one authorization
    assert len(published.of_type(PaymentAuthorizedV1)) == 1  # and one reply: the loser's was discarded
    assert payment_of(command).status == PaymentStatus.AUTHORIZED


# --- reconciliation ----------------------------------------------------------------------------


def test_money_reconciles_after_a_mixed_run_with_failures(provider, published) -> None:
    """Twelve orders through authorize, then capture or void, some commands twice, with a third
    of the provider's answers failing: afterwards the provider holds exactly what payments says."""
    provider.configure(failure_rate=0.3)
    commands = [authorize(amount=f"{10 + i}.00") for i in range(12)]
    for index, command in enumerate(commands):
        on_authorize_payment(command)
        if index % 3 == 0:
            on_authorize_payment(command)
    run_job_until(lambda: not Payment.objects.filter(next_attempt_at__isnull=False).exists(), within=5.0)
    for index, command in enumerate(commands):
        for _ in range(2):  # each sent twice
            if index % 2:
                on_capture_payment(capture(command.order_id, command_id_for(process_id=command.order_id, step="c")))
            else:
                on_void_payment(void(command.order_id, command_id_for(process_id=command.order_id, step="v")))
    run_job_until(lambda: not Payment.objects.filter(next_attempt_at__isnull=False).exists(), within=5.0)

    by_status = {
        status: sum((p.amount for p in Payment.objects.filter(status=status)), Decimal(0))
        for status in ("CAPTURED", "VOIDED", "AUTHORIZED")
    }
    assert by_status == {
        "CAPTURED": provider.total("captured"),
        "VOIDED": provider.total("voided"),
        "AUTHORIZED": provider.total("authorized"),
    }
    assert by_status["AUTHORIZED"] == 0
    assert by_status["CAPTURED"] == sum(Decimal(f"{10 + i}.00") for i in range(1, 12, 2))
    assert len(provider.authorizations()) == 12  # one per order, however often asked or retried
