"""The operators' API: staff see payments with what is still owed to the provider (attempts, last
error, next attempt), filter the queued ones, and may retry one now."""

import uuid

import pytest
from django.utils import timezone

from modules.payments.domain import Operation, PaymentStatus
from modules.payments.handlers import on_authorize_payment
from modules.payments.models import Payment
from tests.modules.payments.support import authorize

pytestmark = pytest.mark.django_db(databases=["payments"], transaction=True)


@pytest.fixture
def staff(client_as):
    return client_as(email="ops@example.com", staff=True)


@pytest.fixture
def queued(provider, published, settings) -> Payment:
    settings.PAYMENTS_RETRY_INITIAL = 60.0
    provider.stop()
    command = authorize()
    on_authorize_payment(command)
    return Payment.objects.get(order_id=command.order_id)


@pytest.fixture
def authorized(provider, published) -> Payment:
    command = authorize(amount="12.50")
    on_authorize_payment(command)
    return Payment.objects.get(order_id=command.order_id)


def test_staff_see_a_queued_payment_with_its_attempts_last_error_and_next_attempt(staff, authorized, queued) -> None:
    response = staff.get("/api/payments", {"status": "QUEUED"})
    assert response.status_code == 200
    [shown] = response.json()["items"]
    assert shown["order_id"] == str(queued.order_id)
    assert (shown["status"], shown["operation"], shown["attempts"]) == ("QUEUED", "authorize", 1)
    assert "ConnectError" in shown["last_error"]
    assert shown["next_attempt_at"] is not None


def test_pending_lists_the_payments_that_still_owe_the_provider_a_call(staff, authorized, queued) -> None:
    owing = staff.get("/api/payments", {"pending": "true"}).json()["items"]
    settled = staff.get("/api/payments", {"pending": "false"}).json()["items"]
    assert [p["order_id"] for p in owing] == [str(queued.order_id)]
    assert [(p["order_id"], p["status"], p["operation"], p["next_attempt_at"]) for p in settled] == [
        (str(authorized.order_id), "AUTHORIZED", "", None)
    ]
    assert settled[0]["amount"] == "12.50"


def test_retry_makes_the_pending_operation_due_now(staff, queued) -> None:
    response = staff.post(f"/api/payments/{queued.order_id}/retry")
    assert response.status_code == 200
    payment = Payment.objects.get(pk=queued.pk)
    assert payment.next_attempt_at is not None
    assert payment.next_attempt_at <= timezone.now()
    assert payment.status == PaymentStatus.QUEUED  # the job will try it within a second


def test_retry_of_a_payment_that_owes_nothing_is_a_conflict(staff, authorized) -> None:
    response = staff.post(f"/api/payments/{authorized.order_id}/retry")
    assert response.status_code == 409
    assert response.json()["code"] == "payment_nothing_to_retry"
    assert Payment.objects.get(pk=authorized.pk).operation == Operation.NONE


def test_retry_of_an_unknown_order_is_not_found(staff) -> None:
    response = staff.post(f"/api/payments/{uuid.uuid4()}/retry")
    assert (response.status_code, response.json()["code"]) == (404, "payment_not_found")


def test_customers_may_not_list_see_or_retry_payments(client_as, queued) -> None:
    customer = client_as(email="ann@example.com")
    assert customer.get("/api/payments").status_code == 403
    assert customer.get(f"/api/payments/{queued.order_id}").status_code == 404
    assert customer.post(f"/api/payments/{queued.order_id}/retry").status_code == 404
    assert Payment.objects.get(pk=queued.pk).next_attempt_at == queued.next_attempt_at


def test_an_unknown_status_filter_is_a_422_naming_the_field(staff) -> None:
    response = staff.get("/api/payments", {"status": "LOST"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "status"]
