"""Conformance cases for contracts.payments: every method, answered the same way by the
facade and by the remote binding (see tests/contracts/conformance.py).

Payments are arranged as rows in the states the provider's answers leave them in: arranging them
through the services would call the payment provider, which this suite does not run."""

import uuid
from decimal import Decimal
from typing import Any

from contracts.payments.dto import PaymentSummary
from contracts.payments.errors import PaymentNotFoundError
from modules.payments.domain import PaymentStatus
from modules.payments.models import Payment
from tests.contracts.conformance import Case

MISSING = uuid.UUID("00000000-0000-4000-8000-000000000001")


def a_payment(**state: Any) -> Payment:
    return Payment.objects.create(
        order_id=uuid.uuid4(), amount=Decimal("12.50"), currency="EUR", customer_email="ann@example.com", **state
    )


def its_summary(payment: Payment, **expected: Any) -> PaymentSummary:
    return PaymentSummary(
        order_id=payment.order_id,
        amount=Decimal("12.50"),
        currency="EUR",
        status=expected.get("status", "PENDING"),
        provider_reference=expected.get("provider_reference", ""),
        decline_reason=expected.get("decline_reason", ""),
        updated_at=payment.updated_at,
    )


def a_voided_tombstone() -> Payment:
    return Payment.objects.create(order_id=uuid.uuid4(), amount=Decimal(0), status=PaymentStatus.VOIDED)


CASES = (
    Case(
        name="a payment",
        method="get_payment",
        given=a_payment,
        arguments=lambda payment: {"order_id": payment.order_id},
        expect=its_summary,
    ),
    Case(
        name="an authorized payment names the provider's authorization",
        method="get_payment",
        given=lambda: a_payment(status=PaymentStatus.AUTHORIZED, provider_reference="auth_0123"),
        arguments=lambda payment: {"order_id": payment.order_id},
        expect=lambda payment: its_summary(payment, status="AUTHORIZED", provider_reference="auth_0123"),
    ),
    Case(
        name="a declined payment says why",
        method="get_payment",
        given=lambda: a_payment(status=PaymentStatus.DECLINED, decline_reason="card declined by the issuer"),
        arguments=lambda payment: {"order_id": payment.order_id},
        expect=lambda payment: its_summary(payment, status="DECLINED", decline_reason="card declined by the issuer"),
    ),
    Case(
        name="a void that came before its authorization left a voided payment of nothing",
        method="get_payment",
        given=a_voided_tombstone,
        arguments=lambda payment: {"order_id": payment.order_id},
        expect=lambda payment: PaymentSummary(
            order_id=payment.order_id,
            amount=Decimal("0.00"),
            currency="",
            status="VOIDED",
            provider_reference="",
            decline_reason="",
            updated_at=payment.updated_at,
        ),
    ),
    Case(
        name="an unknown order's payment is not found",
        method="get_payment",
        arguments={"order_id": MISSING},
        expect=PaymentNotFoundError(MISSING),
    ),
)
