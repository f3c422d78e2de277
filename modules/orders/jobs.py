"""Orders' periodic work: the saga's deadlines (a step left unanswered is asked again, then
compensated or flagged for an operator)."""

from django.conf import settings

from contracts.kernel.jobs import Job
from modules.orders import services

JOBS = (
    Job(id="orders.saga_deadlines", every=settings.SAGA_SWEEP_INTERVAL, run=lambda: services.saga_sweep_deadlines()),
)
