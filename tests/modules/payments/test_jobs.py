"""The job `payments.process_due`: the safety net that carries out operations nobody processed
(a crash right after the handler's commit) and retries queued ones when their backoff is over."""

from decimal import Decimal

import pytest
from django.conf import settings as django_settings

from app.jobs import JobLoop
from contracts.payments.events import PaymentAuthorizedV1, PaymentCapturedV1
from modules.payments.domain import PaymentStatus
from modules.payments.handlers import on_authorize_payment, on_capture_payment
from modules.payments.jobs import JOBS
from modules.payments.models import Payment
from tests.modules.payments.support import authorize, capture

# Not transactional: `on_commit` callbacks never run, exactly as if the process died right after
# the handler's transaction committed. Only the job is left to do the work.
pytestmark = pytest.mark.django_db(databases=["payments"])


def test_the_job_is_declared_under_a_stable_id_at_the_configured_interval() -> None:
    [job] = JOBS
    assert (job.id, job.module, job.every) == (
        "payments.process_due",
        "payments",
        django_settings.PAYMENTS_JOB_INTERVAL,
    )


def test_work_recorded_but_never_processed_is_done_by_the_job(provider, published) -> None:
    command = authorize()
    on_authorize_payment(command)  # committed; the process "dies" before its after-commit call
    assert provider.count() == 0

    assert JobLoop(JOBS).run_all() == {"payments.process_due": 1}
    [authorized] = published.events
    assert isinstance(authorized, PaymentAuthorizedV1)
    assert authorized.command_id == command.command_id

    asked = capture(command.order_id)
    on_capture_payment(asked)
    assert JobLoop(JOBS).run_all() == {"payments.process_due": 1}
    assert published.events[-1] == PaymentCapturedV1(
        order_id=command.order_id, command_id=asked.command_id, amount=Decimal("25.00")
    )
    assert JobLoop(JOBS).run_all() == {"payments.process_due": 0}  # nothing left
    assert provider.count("POST") == 2


def test_the_job_leaves_a_queued_payment_alone_until_its_backoff_is_over(provider, published, settings) -> None:
    settings.PAYMENTS_RETRY_INITIAL = 60.0
    provider.configure(failure_rate=1.0)
    command = authorize()
    on_authorize_payment(command)
    assert JOBS[0].run() == 1
    payment = Payment.objects.get(order_id=command.order_id)
    assert payment.status == PaymentStatus.QUEUED
    received = provider.count()

    provider.configure(failure_rate=0.0)
    assert JOBS[0].run() == 0  # not due for a minute
    assert provider.count() == received
    Payment.objects.filter(pk=payment.pk).update(next_attempt_at=payment.created_at)  # the minute passed
    assert JOBS[0].run() == 1
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.AUTHORIZED


def test_the_job_takes_at_most_a_batch_at_a_time(provider, published, settings) -> None:
    settings.PAYMENTS_JOB_BATCH = 2
    for _ in range(3):
        on_authorize_payment(authorize())
    assert [JOBS[0].run(), JOBS[0].run(), JOBS[0].run()] == [2, 1, 0]
    assert Payment.objects.filter(status=PaymentStatus.AUTHORIZED).count() == 3


def test_the_job_starts_no_new_payment_once_its_time_budget_is_spent(provider, published, settings) -> None:
    settings.PAYMENTS_JOB_BUDGET = 0.1
    provider.configure(latency=0.15)  # each call is longer than the whole budget
    for _ in range(3):
        on_authorize_payment(authorize())
    assert JOBS[0].run() == 1
    assert Payment.objects.filter(status=PaymentStatus.AUTHORIZED).count() == 1
    assert JOBS[0].run() == 1  # the rest in later runs
