"""The command handlers, against the fake provider over real HTTP: each command is answered by one
event carrying its command id; re-sent and reordered commands are answered, never acted on twice."""

import uuid
from decimal import Decimal

import pytest
from django.db import transaction

from contracts.payments.events import (
    PaymentAuthorizedV1,
    PaymentCapturedV1,
    PaymentDeclinedV1,
    PaymentQueuedV1,
    PaymentVoidedV1,
)
from modules.payments.domain import Operation, PaymentStatus
from modules.payments.handlers import SUBSCRIPTIONS, on_authorize_payment, on_capture_payment, on_void_payment
from modules.payments.models import Payment
from tests.modules.payments.support import authorize, capture, void

pytestmark = pytest.mark.django_db(databases=["payments"], transaction=True)


def test_subscriptions_have_stable_ids_in_the_module_namespace() -> None:
    assert [s.id for s in SUBSCRIPTIONS] == ["payments.authorize", "payments.capture", "payments.void"]


def test_the_handler_only_records_the_provider_is_called_after_its_transaction_commits(provider, published) -> None:
    command = authorize()
    with transaction.atomic(using="payments"):  # as the consumer runs it
        on_authorize_payment(command)
        assert Payment.objects.get(order_id=command.order_id).operation == Operation.AUTHORIZE
        assert provider.count() == 0  # no network I/O while the transaction is open
        assert published.events == []
    assert provider.count("POST") == 1
    [reply] = published.events
    assert isinstance(reply, PaymentAuthorizedV1)
    assert (reply.order_id, reply.command_id, reply.amount) == (command.order_id, command.command_id, Decimal("25.00"))


def test_an_authorization_is_held_at_the_provider_under_the_orders_reference(provider, published) -> None:
    command = authorize()
    on_authorize_payment(command)
    [held] = provider.authorizations(reference=str(command.order_id))
    assert (held["status"], held["amount"], held["currency"]) == ("authorized", "25.00", "EUR")
    payment = Payment.objects.get(order_id=command.order_id)
    assert (payment.status, payment.provider_reference, payment.operation) == ("AUTHORIZED", held["id"], "")
    assert published.of_type(PaymentAuthorizedV1)[0].provider_reference == held["id"]


@pytest.mark.parametrize(
    ("amount", "email", "reason"),
    [
        ("1000.01", "ann@example.com", "amount 1000.01 is over the limit of 1000"),
        ("10.00", "declined.card@example.com", "card declined by the issuer"),
    ],
)
def test_a_declined_authorization_is_answered_with_the_providers_reason(
    provider, published, amount, email, reason
) -> None:
    command = authorize(amount=amount, email=email)
    on_authorize_payment(command)
    [declined] = published.events
    assert isinstance(declined, PaymentDeclinedV1)
    assert (declined.command_id, declined.reason) == (command.command_id, reason)
    payment = Payment.objects.get(order_id=command.order_id)
    assert (payment.status, payment.decline_reason) == ("DECLINED", reason)
    assert provider.total("authorized") == 0


def test_capture_takes_the_authorized_amount(provider, published) -> None:
    command = authorize()
    on_authorize_payment(command)
    asked = capture(command.order_id)
    on_capture_payment(asked)
    [captured] = published.of_type(PaymentCapturedV1)
    assert (captured.command_id, captured.amount) == (asked.command_id, Decimal("25.00"))
    assert Payment.objects.get(order_id=command.order_id).status == "CAPTURED"
    assert (provider.total("captured"), provider.total("authorized")) == (Decimal("25.00"), 0)


def test_void_releases_the_authorization_at_the_provider(provider, published) -> None:
    command = authorize()
    on_authorize_payment(command)
    asked = void(command.order_id)
    on_void_payment(asked)
    assert [e.command_id for e in published.of_type(PaymentVoidedV1)] == [asked.command_id]
    assert Payment.objects.get(order_id=command.order_id).status == "VOIDED"
    assert (provider.total("voided"), provider.total("authorized")) == (Decimal("25.00"), 0)


# --- re-sent commands ------------------------------------------------------------------------


def test_an_authorize_sent_again_is_answered_again_without_calling_the_provider(provider, published) -> None:
    command = authorize()
    on_authorize_payment(command)
    calls = provider.count()
    on_authorize_payment(command)  # the saga's deadline passed: the same command again
    newer = authorize(command.order_id, command_id=uuid.uuid4())
    on_authorize_payment(newer)  # or a new command id for the same order
    replies = published.of_type(PaymentAuthorizedV1)
    assert [r.command_id for r in replies] == [command.command_id, command.command_id, newer.command_id]
    assert len({r.provider_reference for r in replies}) == 1
    assert provider.count() == calls
    assert Payment.objects.count() == 1


def test_a_declined_authorize_sent_again_is_declined_again(provider, published) -> None:
    command = authorize(amount="5000.00")
    on_authorize_payment(command)
    on_authorize_payment(command)
    assert [type(e) for e in published.events] == [PaymentDeclinedV1, PaymentDeclinedV1]
    assert provider.count("POST") == 1


def test_capture_and_void_sent_again_are_answered_again_and_done_once(provider, published) -> None:
    first, second = authorize(), authorize()
    for command in (first, second):
        on_authorize_payment(command)
    captured, voided = capture(first.order_id), void(second.order_id)
    for _ in range(2):
        on_capture_payment(captured)
        on_void_payment(voided)
    assert [e.command_id for e in published.of_type(PaymentCapturedV1)] == [captured.command_id] * 2
    assert [e.command_id for e in published.of_type(PaymentVoidedV1)] == [voided.command_id] * 2
    assert provider.count("POST", "/v1/authorizations/") == 2  # one capture, one void
    assert (provider.total("captured"), provider.total("voided")) == (Decimal("25.00"), Decimal("25.00"))


# --- reordering and refusals -----------------------------------------------------------------


def test_a_void_before_its_authorize_leaves_a_tombstone_that_refuses_the_late_authorize(provider, published) -> None:
    command = authorize()
    early = void(command.order_id)
    on_void_payment(early)
    assert [(type(e), e.command_id) for e in published.events] == [(PaymentVoidedV1, early.command_id)]
    tombstone = Payment.objects.get(order_id=command.order_id)
    assert (tombstone.status, tombstone.amount) == ("VOIDED", Decimal(0))

    on_authorize_payment(command)  # arrives late
    refused = published.events[-1]
    assert isinstance(refused, PaymentDeclinedV1)
    assert refused.command_id == command.command_id
    assert "voided" in refused.reason
    assert provider.count() == 0  # the provider never heard of this order


def test_a_void_of_a_declined_payment_is_answered_with_nothing_to_release(provider, published) -> None:
    command = authorize(amount="5000.00")
    on_authorize_payment(command)
    asked = void(command.order_id)
    on_void_payment(asked)
    assert published.events[-1] == PaymentVoidedV1(order_id=command.order_id, command_id=asked.command_id)
    assert Payment.objects.get(order_id=command.order_id).status == "DECLINED"


def test_void_after_capture_is_refused_without_an_answer(provider, published) -> None:
    command = authorize()
    on_authorize_payment(command)
    on_capture_payment(capture(command.order_id))
    answered = len(published.events)
    on_void_payment(void(command.order_id))
    assert len(published.events) == answered
    assert Payment.objects.get(order_id=command.order_id).status == "CAPTURED"
    assert provider.total("captured") == Decimal("25.00")


@pytest.mark.parametrize("state", ["unknown order", "declined", "voided"])
def test_capture_of_what_is_not_authorized_is_refused_without_an_answer(provider, published, state) -> None:
    command = authorize(amount="5000.00" if state == "declined" else "25.00")
    if state != "unknown order":
        on_authorize_payment(command)
    if state == "voided":
        on_void_payment(void(command.order_id))
    answered = len(published.events)
    on_capture_payment(capture(command.order_id))
    assert len(published.events) == answered
    assert provider.total("captured") == 0


def test_an_authorize_while_the_provider_is_unreachable_is_answered_queued_then_authorized_later(
    provider, published
) -> None:
    provider.configure(failure_rate=1.0)
    command = authorize()
    on_authorize_payment(command)
    [queued] = published.events
    assert isinstance(queued, PaymentQueuedV1)
    assert queued.command_id == command.command_id
    assert "503" in queued.reason
    assert Payment.objects.get(order_id=command.order_id).status == PaymentStatus.QUEUED

    on_authorize_payment(command)  # asked again while queued: told again
    assert [type(e) for e in published.events] == [PaymentQueuedV1, PaymentQueuedV1]
