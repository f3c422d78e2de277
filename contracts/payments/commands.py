"""What the order saga asks of payments. Each is answered by one of payments' events, and asked
again (a re-sent command, same ``command_id``) it is answered again without acting twice."""

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from contracts.kernel.commands import Command


@dataclass(frozen=True, kw_only=True)
class AuthorizePaymentV1(Command):
    """Hold ``amount`` on the customer's means of payment. Answered by ``PaymentAuthorizedV1``,
    ``PaymentDeclinedV1``, or ``PaymentQueuedV1`` while the provider is unreachable (then, later,
    by one of the first two without being asked again)."""

    subject_field: ClassVar[str] = "order_id"
    order_id: UUID
    amount: Decimal
    currency: str
    customer_email: str


@dataclass(frozen=True, kw_only=True)
class CapturePaymentV1(Command):
    """Take the authorized amount. Answered by ``PaymentCapturedV1`` (retried until it is)."""

    subject_field: ClassVar[str] = "order_id"
    order_id: UUID


@dataclass(frozen=True, kw_only=True)
class VoidPaymentV1(Command):
    """Release an authorization (compensation). Answered by ``PaymentVoidedV1``, also when
    nothing was authorized; an authorization asked for after its void is refused."""

    subject_field: ClassVar[str] = "order_id"
    order_id: UUID
