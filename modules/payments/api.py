"""The HTTP API of payments, mounted at ``/api/payments/``: for staff (operators). Queued payments
(provider unreachable) are listed with ``?status=QUEUED``, every payment still owing the provider a
call with ``?pending=true``; ``POST /{order_id}/retry`` tries its operation again now."""

from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import LimitOffsetPagination, paginate

from contracts.kernel.errors import PermissionDeniedError
from contracts.kernel.identity import current_principal
from contracts.payments.errors import PaymentNotFoundError
from modules.payments import selectors, services
from modules.payments.domain import PaymentStatus
from modules.payments.models import Payment
from modules.payments.schemas import PaymentsPaymentOut

router = Router(tags=["payments"])


@router.get("", response=list[PaymentsPaymentOut], summary="List payments, newest first (staff)")
@paginate(LimitOffsetPagination)
def payment_list(
    request: HttpRequest, status: PaymentStatus | None = None, pending: bool | None = None
) -> QuerySet[Payment]:
    _require_staff()
    return selectors.payment_list(status=status, pending=pending)


@router.get("/{order_id}", response=PaymentsPaymentOut, summary="The payment of one order (staff)")
def payment_detail(request: HttpRequest, order_id: UUID) -> Payment:
    if not _is_staff():
        raise PaymentNotFoundError(order_id)  # as missing: a payment's existence does not leak
    return selectors.payment_get(order_id=order_id)


@router.post(
    "/{order_id}/retry",
    response=PaymentsPaymentOut,
    summary="Try the payment's pending provider call again now, not at its next backoff (staff)",
)
def payment_retry(request: HttpRequest, order_id: UUID) -> Payment:
    if not _is_staff():
        raise PaymentNotFoundError(order_id)
    return services.payment_retry_now(order_id=order_id)


def _is_staff() -> bool:
    principal = current_principal()
    return principal is not None and principal.is_staff


def _require_staff() -> None:
    if not _is_staff():
        raise PermissionDeniedError("only staff may list payments")
