import uuid
from decimal import Decimal

import pytest

from contracts.payments.dto import PaymentSummary
from contracts.payments.errors import PaymentNotFoundError
from modules.payments.facade import PaymentsFacade
from modules.payments.handlers import on_authorize_payment, on_void_payment
from modules.payments.models import Payment
from tests.modules.payments.support import authorize, void

pytestmark = pytest.mark.django_db(databases=["payments"], transaction=True)


def test_the_summary_of_an_authorized_payment(provider, published) -> None:
    command = authorize(amount="42.00")
    on_authorize_payment(command)
    payment = Payment.objects.get(order_id=command.order_id)
    assert PaymentsFacade().get_payment(order_id=command.order_id) == PaymentSummary(
        order_id=command.order_id,
        amount=Decimal("42.00"),
        currency="EUR",
        status="AUTHORIZED",
        provider_reference=provider.authorizations()[0]["id"],
        decline_reason="",
        updated_at=payment.updated_at,
    )


def test_the_summary_of_a_declined_payment_says_why(provider, published) -> None:
    command = authorize(amount="1500.00")
    on_authorize_payment(command)
    summary = PaymentsFacade().get_payment(order_id=command.order_id)
    assert (summary.status, summary.provider_reference) == ("DECLINED", "")
    assert summary.decline_reason == "amount 1500.00 is over the limit of 1000"


def test_a_void_tombstone_is_a_voided_payment_of_nothing(provider, published) -> None:
    order_id = uuid.uuid4()
    on_void_payment(void(order_id))
    summary = PaymentsFacade().get_payment(order_id=order_id)
    assert (summary.status, summary.amount, summary.currency) == ("VOIDED", Decimal(0), "")


def test_an_unknown_orders_payment_is_not_found() -> None:
    missing = uuid.uuid4()
    with pytest.raises(PaymentNotFoundError) as error:
        PaymentsFacade().get_payment(order_id=missing)
    assert error.value.order_id == missing
