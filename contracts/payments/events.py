from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from contracts.kernel.events import Event


@dataclass(frozen=True, kw_only=True)
class PaymentAuthorizedV1(Event):
    subject_field: ClassVar[str] = "order_id"
    order_id: UUID
    command_id: UUID  # the AuthorizePaymentV1 this answers
    amount: Decimal
    provider_reference: str


@dataclass(frozen=True, kw_only=True)
class PaymentDeclinedV1(Event):
    subject_field: ClassVar[str] = "order_id"
    order_id: UUID
    command_id: UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class PaymentQueuedV1(Event):
    """The provider is unreachable: the authorization is kept and retried in the background."""

    subject_field: ClassVar[str] = "order_id"
    order_id: UUID
    command_id: UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class PaymentCapturedV1(Event):
    subject_field: ClassVar[str] = "order_id"
    order_id: UUID
    command_id: UUID  # the CapturePaymentV1 this answers
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class PaymentVoidedV1(Event):
    subject_field: ClassVar[str] = "order_id"
    order_id: UUID
    command_id: UUID  # the VoidPaymentV1 this answers
