"""The periodic work of payments: provider operations that are due (retries of queued or failed
calls with backoff, and any operation whose after-commit processing a crash cut short)."""

from django.conf import settings

from contracts.kernel.jobs import Job
from modules.payments import services


def process_due() -> int:
    return services.payments_process_due(limit=settings.PAYMENTS_JOB_BATCH, budget=settings.PAYMENTS_JOB_BUDGET)


JOBS = (Job(id="payments.process_due", every=settings.PAYMENTS_JOB_INTERVAL, run=process_due),)
