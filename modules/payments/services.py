"""Authorizing, capturing and voiding payments, in two halves, so that no database transaction is
ever held open across a call to the provider:

- ``payment_*_request`` run inside the command handler's transaction: they decide, record the
  provider operation owed (due now), and answer at once when the answer is already known (a
  re-sent command, a void before its authorization). After commit, the operation is processed
  right away in the same thread (``transaction.on_commit``).
- ``payment_process`` claims a payment whose operation is due (a guarded UPDATE: one processor
  at a time across any number of processes), calls the provider outside any transaction, then
  records the outcome and publishes the reply in one short transaction. ``payments_process_due``
  (the job ``payments.process_due``) is the safety net: a crash after commit, and the retries of
  queued work with capped exponential backoff.
"""

import contextvars
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from uuid import UUID, uuid4

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from contracts.kernel.errors import ConflictError
from contracts.kernel.events import Event, publish
from contracts.payments.errors import PaymentNotFoundError
from contracts.payments.events import (
    PaymentAuthorizedV1,
    PaymentCapturedV1,
    PaymentDeclinedV1,
    PaymentQueuedV1,
    PaymentVoidedV1,
)
from modules.payments import gateways, selectors
from modules.payments.domain import UNDECIDED, VOIDED_REASON, Operation, PaymentStatus, needs_recheck, retry_delay
from modules.payments.models import Payment

DB = "payments"

logger = logging.getLogger(__name__)

Outcome = gateways.Authorized | gateways.Declined | gateways.Done | gateways.Refused | gateways.Unavailable


class NothingToRetryError(ConflictError):
    code = "payment_nothing_to_retry"


# --- commands: decide inside the handler's transaction --------------------------------------


def payment_authorize_request(
    *, command_id: UUID, order_id: UUID, amount: Decimal, currency: str, customer_email: str
) -> Payment:
    """Authorize the order's payment once; asked again, answer again for the state it is in."""
    with transaction.atomic(using=DB):
        defaults = {"amount": amount, "currency": currency, "customer_email": customer_email}
        payment, created = Payment.objects.select_for_update().get_or_create(order_id=order_id, defaults=defaults)
        if created:
            _operation_start(payment, Operation.AUTHORIZE, command_id)
        else:
            _authorize_answer(payment, command_id, amount=amount)
    return payment


def payment_capture_request(*, command_id: UUID, order_id: UUID) -> Payment | None:
    """Capture an authorized payment (retried until the provider does it); answered again when
    already captured. Anything else cannot be captured: logged, not answered."""
    with transaction.atomic(using=DB):
        payment = Payment.objects.select_for_update().filter(order_id=order_id).first()
        if payment is None:
            logger.error("capture refused for order %s: it has no payment", order_id)
        elif payment.status == PaymentStatus.CAPTURED:
            _reply(PaymentCapturedV1(order_id=order_id, command_id=command_id, amount=payment.amount))
        elif payment.status == PaymentStatus.AUTHORIZED and payment.operation == Operation.NONE:
            _operation_start(payment, Operation.CAPTURE, command_id)
        elif payment.status == PaymentStatus.AUTHORIZED and payment.operation == Operation.CAPTURE:
            _answer_later(payment, command_id)
        else:
            logger.error("capture refused for order %s: %s", order_id, _state(payment))
    return payment


def payment_void_request(*, command_id: UUID, order_id: UUID) -> Payment:
    """Release the order's payment (compensation). Answered also when nothing was authorized; a
    void arriving first leaves a VOIDED tombstone that refuses the authorization coming later.
    A captured payment is never voided (the saga never asks): logged, not answered."""
    with transaction.atomic(using=DB):
        tombstone = {"amount": Decimal(0), "status": PaymentStatus.VOIDED}
        payment, created = Payment.objects.select_for_update().get_or_create(order_id=order_id, defaults=tombstone)
        if created:
            logger.info("void for order %s arrived before its authorization: tombstone left", order_id)
            _reply(PaymentVoidedV1(order_id=order_id, command_id=command_id))
        elif payment.status == PaymentStatus.CAPTURED or payment.operation == Operation.CAPTURE:
            logger.error("void refused for order %s: %s", order_id, _state(payment))
        elif payment.operation == Operation.VOID:
            _answer_later(payment, command_id)
        elif payment.status in (PaymentStatus.VOIDED, PaymentStatus.DECLINED):
            _reply(PaymentVoidedV1(order_id=order_id, command_id=command_id))
        else:
            _void_start(payment, command_id)
    return payment


def _authorize_answer(payment: Payment, command_id: UUID, *, amount: Decimal) -> None:
    if payment.amount != amount and payment.status != PaymentStatus.VOIDED:
        logger.warning("authorize for order %s asked %s again, keeping %s", payment.order_id, amount, payment.amount)
    order_id = payment.order_id
    if payment.status == PaymentStatus.VOIDED or payment.operation == Operation.VOID:
        _reply(PaymentDeclinedV1(order_id=order_id, command_id=command_id, reason=VOIDED_REASON))
    elif payment.status in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED):
        reference = payment.provider_reference
        authorized = PaymentAuthorizedV1(
            order_id=order_id, command_id=command_id, amount=payment.amount, provider_reference=reference
        )
        _reply(authorized)
    elif payment.status == PaymentStatus.DECLINED:
        _reply(PaymentDeclinedV1(order_id=order_id, command_id=command_id, reason=payment.decline_reason))
    else:  # still waiting for the provider: the answer comes when it does
        _answer_later(payment, command_id)
        if payment.status == PaymentStatus.QUEUED:
            _reply(PaymentQueuedV1(order_id=order_id, command_id=command_id, reason=payment.last_error))


def _void_start(payment: Payment, command_id: UUID) -> None:
    if payment.status in UNDECIDED:
        # Decided now: whatever the provider answers later, this payment is not to be authorized.
        payment.status = PaymentStatus.VOIDED
        if not payment.provider_contacted:  # no request ever left: nothing to release anywhere
            _operation_clear(payment)
            payment.save()
            _reply(PaymentVoidedV1(order_id=payment.order_id, command_id=command_id))
            return
    _operation_start(payment, Operation.VOID, command_id)


def _operation_start(payment: Payment, operation: Operation, command_id: UUID) -> None:
    payment.operation = operation
    payment.operation_command_id = command_id
    payment.attempts = 0
    payment.last_error = ""
    payment.next_attempt_at = timezone.now()
    payment.save()
    _process_after_commit(payment.pk)


def _answer_later(payment: Payment, command_id: UUID) -> None:
    """The operation is under way: its reply will answer this (latest) command."""
    if payment.operation_command_id != command_id:
        payment.operation_command_id = command_id
        payment.save(update_fields=["operation_command_id", "updated_at"])


def _process_after_commit(payment_id: UUID) -> None:
    # In this thread once the handler's transaction has committed, in the handler's context (so
    # the reply carries the command's correlation id). A failure there is logged, and the job
    # retries: the commit has happened and must not be reported as failed.
    context = contextvars.copy_context()
    callback = partial(context.run, payment_process, payment_id=payment_id)
    transaction.on_commit(callback, using=DB, robust=True)


# --- operations: call the provider outside any transaction ----------------------------------


def payments_process_due(*, limit: int = 50, budget: float = 5.0) -> int:
    """The job: carry out due operations nobody holds, at most ``limit``, and start no new one
    after ``budget`` seconds (a slow provider must not hold up the other jobs of the thread);
    what is left waits for the next run. Returns how many were processed."""
    started = time.monotonic()
    processed = 0
    for payment_id in selectors.payment_due_ids(now=timezone.now(), limit=limit):
        if time.monotonic() - started > budget:
            break
        processed += payment_process(payment_id=payment_id)
    return processed


def payment_process(*, payment_id: UUID) -> bool:
    """Carry out the payment's due operation, unless another processor holds it. False when
    there was nothing to do."""
    claim = _claim(payment_id)
    if claim is None:
        return False
    try:
        outcome = _call_provider(claim.payment)
    except Exception as error:  # a bug or a broken answer: recorded and retried like an outage
        logger.exception("payment %s: %s failed", payment_id, claim.payment.operation)
        outcome = gateways.Unavailable(reason=f"{type(error).__name__}: {error}", maybe_sent=True)
    _outcome_record(claim, outcome)
    return True


@dataclass(frozen=True)
class _Claim:
    payment: Payment  # as it was when claimed
    lease_id: UUID

    @property
    def operation(self) -> Operation:
        return Operation(self.payment.operation)


def _claim(payment_id: UUID) -> _Claim | None:
    """Take the payment for one round: an UPDATE guarded by the values just read, so of two
    processors that read the same row only one wins, and a command that changed the operation
    in between makes the claim fail (the new operation is processed after its own commit)."""
    now = timezone.now()
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or not _due(payment, now):
        return None
    lease_id = uuid4()
    claimed = (
        Payment.objects.filter(
            pk=payment_id, lease_id=payment.lease_id, operation=payment.operation, next_attempt_at__lte=now
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .update(
            lease_id=lease_id,
            lease_until=now + timedelta(seconds=settings.PAYMENTS_LEASE_SECONDS),
            attempts=F("attempts") + 1,
            # Pessimistic, so a crash during the call leaves it set: a void then looks at the provider.
            provider_contacted=payment.provider_contacted or payment.operation == Operation.AUTHORIZE,
        )
    )
    return _Claim(payment, lease_id) if claimed else None


def _due(payment: Payment, now: datetime) -> bool:
    lease_free = payment.lease_until is None or payment.lease_until <= now
    scheduled = payment.next_attempt_at is not None and payment.next_attempt_at <= now
    return payment.operation != Operation.NONE and scheduled and lease_free


def _call_provider(payment: Payment) -> Outcome:
    prefix = payment.idempotency_prefix
    if payment.operation == Operation.AUTHORIZE:
        return gateways.provider_authorize(
            idempotency_key=f"{prefix}-authorize",
            amount=payment.amount,
            currency=payment.currency,
            reference=str(payment.order_id),
            customer_email=payment.customer_email,
        )
    if payment.operation == Operation.CAPTURE:
        return gateways.provider_capture(
            idempotency_key=f"{prefix}-capture", authorization_id=payment.provider_reference
        )
    return gateways.provider_void_all(reference=str(payment.order_id), idempotency_prefix=prefix)


def _outcome_record(claim: _Claim, outcome: Outcome) -> None:
    with transaction.atomic(using=DB):
        payment = Payment.objects.select_for_update().filter(pk=claim.payment.pk).first()
        if payment is None or payment.lease_id != claim.lease_id:
            logger.warning("payment %s: claim lost (lease expired), the next round redoes it", claim.payment.pk)
            return
        payment.lease_until = None
        if claim.operation == Operation.AUTHORIZE:
            reached = not isinstance(outcome, gateways.Unavailable) or outcome.maybe_sent
            payment.provider_contacted = claim.payment.provider_contacted or reached
        if payment.operation != claim.operation:  # a void replaced the authorization meanwhile
            _superseded_record(payment, outcome)
        else:
            RECORDERS[claim.operation](payment, outcome)
        payment.save()


def _superseded_record(payment: Payment, outcome: Outcome) -> None:
    if isinstance(outcome, gateways.Authorized):  # the void will release exactly this one
        payment.provider_reference = outcome.reference
    logger.info("payment %s: %s arrived after the operation changed to %s", payment.pk, outcome, payment.operation)
    _process_after_commit(payment.pk)


def _authorize_record(payment: Payment, outcome: Outcome) -> None:
    order_id, command_id = payment.order_id, _command_id(payment)
    if isinstance(outcome, gateways.Authorized):
        payment.status = PaymentStatus.AUTHORIZED
        payment.provider_reference = outcome.reference
        _operation_clear(payment)
        _reply(
            PaymentAuthorizedV1(
                order_id=order_id, command_id=command_id, amount=payment.amount, provider_reference=outcome.reference
            )
        )
    elif isinstance(outcome, gateways.Declined):
        payment.status = PaymentStatus.DECLINED
        payment.decline_reason = outcome.reason[:300]
        _operation_clear(payment)
        _reply(PaymentDeclinedV1(order_id=order_id, command_id=command_id, reason=payment.decline_reason))
    else:
        _retry_later(payment, outcome)
        if payment.status == PaymentStatus.PENDING:  # announced once, when it first becomes queued
            payment.status = PaymentStatus.QUEUED
            _reply(PaymentQueuedV1(order_id=order_id, command_id=command_id, reason=payment.last_error))


def _capture_record(payment: Payment, outcome: Outcome) -> None:
    if isinstance(outcome, gateways.Done):
        payment.status = PaymentStatus.CAPTURED
        command_id = _command_id(payment)
        _operation_clear(payment)
        _reply(PaymentCapturedV1(order_id=payment.order_id, command_id=command_id, amount=payment.amount))
    else:
        _failed_or_retry(payment, outcome)


def _void_record(payment: Payment, outcome: Outcome) -> None:
    if not isinstance(outcome, gateways.Done):
        _failed_or_retry(payment, outcome)
        return
    payment.status = PaymentStatus.VOIDED
    command_id = _command_id(payment)
    if needs_recheck(provider_reference=payment.provider_reference, provider_contacted=payment.provider_contacted):
        payment.operation = Operation.RECHECK
        payment.attempts = 0
        payment.next_attempt_at = timezone.now() + timedelta(seconds=settings.PAYMENTS_VOID_RECHECK_AFTER)
    else:
        _operation_clear(payment)
    _reply(PaymentVoidedV1(order_id=payment.order_id, command_id=command_id))


def _recheck_record(payment: Payment, outcome: Outcome) -> None:
    if not isinstance(outcome, gateways.Done):
        _failed_or_retry(payment, outcome)
        return
    if outcome.voided:
        logger.warning("payment %s: voided %d authorization(s) that landed late", payment.pk, outcome.voided)
    _operation_clear(payment)


RECORDERS = {
    Operation.AUTHORIZE: _authorize_record,
    Operation.CAPTURE: _capture_record,
    Operation.VOID: _void_record,
    Operation.RECHECK: _recheck_record,
}


def _failed_or_retry(payment: Payment, outcome: Outcome) -> None:
    if isinstance(outcome, gateways.Refused):  # asking again gets the same no: an operator's case
        logger.error("payment %s: the provider refused %s: %s", payment.pk, payment.operation, outcome.reason)
        _operation_clear(payment)
        payment.last_error = outcome.reason[:500]
    else:
        _retry_later(payment, outcome)


def _retry_later(payment: Payment, outcome: Outcome) -> None:
    reason = outcome.reason if isinstance(outcome, gateways.Unavailable) else repr(outcome)
    delay = retry_delay(
        attempts=payment.attempts, initial=settings.PAYMENTS_RETRY_INITIAL, cap=settings.PAYMENTS_RETRY_MAX
    )
    payment.last_error = reason[:500]
    payment.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    logger.warning(
        "payment %s: %s attempt %d failed (%s); next in %.1f s",
        payment.pk,
        payment.operation,
        payment.attempts,
        reason,
        delay,
    )


def _operation_clear(payment: Payment) -> None:
    payment.operation = Operation.NONE
    payment.next_attempt_at = None
    payment.last_error = ""


def _command_id(payment: Payment) -> UUID:
    assert payment.operation_command_id is not None, "an operation always records the command it answers"
    return payment.operation_command_id


def _state(payment: Payment) -> str:
    return f"the payment is {payment.status}" + (f", {payment.operation} under way" if payment.operation else "")


def _reply(event: Event) -> None:
    logger.info("payment for order %s: %s", event.subject(), type(event).__name__)
    publish(event)


# --- operators -------------------------------------------------------------------------------


def payment_retry_now(*, order_id: UUID) -> Payment:
    """Make the payment's pending operation due now (the job picks it up within a second)."""
    with transaction.atomic(using=DB):
        payment = Payment.objects.select_for_update().filter(order_id=order_id).first()
        if payment is None:
            raise PaymentNotFoundError(order_id)
        if payment.operation == Operation.NONE:
            raise NothingToRetryError(f"the payment of order {order_id} has no operation to retry")
        payment.next_attempt_at = timezone.now()
        payment.save(update_fields=["next_attempt_at", "updated_at"])
    return payment
