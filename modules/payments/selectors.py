from datetime import datetime
from uuid import UUID

from django.db.models import Q, QuerySet

from contracts.payments.errors import PaymentNotFoundError
from modules.payments.models import Payment


def payment_get(*, order_id: UUID) -> Payment:
    try:
        return Payment.objects.get(order_id=order_id)
    except Payment.DoesNotExist:
        raise PaymentNotFoundError(order_id) from None


def payment_list(*, status: str | None = None, pending: bool | None = None) -> QuerySet[Payment]:
    """``pending``: only payments that still owe the provider a call (True), or only those that
    do not (False)."""
    payments = Payment.objects.all()
    if status:
        payments = payments.filter(status=status)
    if pending is not None:
        payments = payments.filter(next_attempt_at__isnull=not pending)
    return payments


def payment_due_ids(*, now: datetime, limit: int) -> list[UUID]:
    """Payments whose operation is due and that no processor holds, the longest waiting first."""
    due = Payment.objects.filter(next_attempt_at__lte=now).filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
    return list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
