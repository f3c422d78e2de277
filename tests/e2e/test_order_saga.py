"""The order saga through HTTP, with the real modules, the in-process bus and the fake payment
provider over real HTTP: every path ends with stock and money reconciled."""

from typing import Any

import pytest

from app.bootstrap import runtime
from app.events.models import OutboxEvent
from modules.inventory.models import Product
from modules.payments.models import Payment
from tests.e2e.reconcile import assert_reconciled

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)


def steps(order: dict[str, Any]) -> list[tuple[str, str]]:
    return [(step["name"], step["status"]) for step in order["saga"]["steps"]]


def emails(mailoutbox: list[Any]) -> list[str]:
    return [m.subject.split(" order ")[0] for m in mailoutbox]


def test_the_happy_path_confirms_captures_and_shows_every_step(catalogue, place, payment_provider, mailoutbox) -> None:
    order = place(("KB", 2)).json()
    assert (order["status"], order["saga"]["state"]) == ("CONFIRMED", "COMPLETED")
    assert steps(order) == [
        ("reserve_stock", "SUCCEEDED"),
        ("authorize_payment", "SUCCEEDED"),
        ("confirm_order", "SUCCEEDED"),
        ("capture_payment", "SUCCEEDED"),
    ]
    assert all(step["finished_at"] >= step["started_at"] for step in order["saga"]["steps"])
    assert Payment.objects.get().status == "CAPTURED"
    assert emails(mailoutbox) == ["We received your", "Your"]
    assert_reconciled(payment_provider)


def test_an_order_beyond_the_stock_is_rejected_with_the_reason(catalogue, place, payment_provider, mailoutbox) -> None:
    order = place(("DK", 2)).json()
    assert (order["status"], order["status_reason"]) == ("REJECTED", "insufficient stock for DK")
    assert steps(order) == [("reserve_stock", "FAILED")]
    assert not Payment.objects.exists()
    assert emails(mailoutbox) == ["We received your", "We could not accept your"]
    assert_reconciled(payment_provider)


def test_a_declined_payment_releases_the_stock_and_rejects(catalogue, place, payment_provider, mailoutbox) -> None:
    payment_provider.configure(decline_over="100")
    order = place(("KB", 2)).json()  # 178.00
    assert order["status"] == "REJECTED"
    assert "declined" in order["status_reason"]
    assert steps(order) == [
        ("reserve_stock", "SUCCEEDED"),
        ("authorize_payment", "FAILED"),
        ("release_stock", "SUCCEEDED"),
    ]
    assert Product.objects.get(sku="KB").reserved == 0
    assert emails(mailoutbox) == ["We received your", "We could not accept your"]
    assert_reconciled(payment_provider)


def test_provider_down_queues_the_payment_then_completes_without_a_new_request(
    auth_client, catalogue, place, payment_provider, settings
) -> None:
    settings.PAYMENTS_RETRY_INITIAL = settings.PAYMENTS_RETRY_MAX = 0  # retried at the next job run
    payment_provider.configure(failure_rate=1.0)
    orders = [place(("KB", 1)).json() for _ in range(3)]
    assert {o["status"] for o in orders} == {"PAYMENT_QUEUED"}
    assert runtime().outbound.states()["payment-provider"] == "open"
    calls_while_open = payment_provider.count("POST")
    place(("KB", 1))
    assert payment_provider.count("POST") == calls_while_open  # the open breaker fails fast
    payment_provider.configure(failure_rate=0.0)
    runtime().outbound.reset()  # as if the breaker's cool-down had passed
    runtime().jobs.run_all()
    assert {auth_client.get(f"/api/orders/{o['id']}").json()["status"] for o in orders} == {"CONFIRMED"}
    assert_reconciled(payment_provider)


def test_a_slow_provider_times_out_and_the_payment_is_queued(catalogue, place, payment_provider, settings) -> None:
    settings.PAYMENTS_RETRY_INITIAL = settings.PAYMENTS_RETRY_MAX = 0
    settings.OUTBOUND_TARGETS = {"payment-provider": {"timeout": 0.2, "attempts": 2, "failures_to_open": 50}}
    runtime().outbound.reset(settings.OUTBOUND_TARGETS)
    payment_provider.configure(latency=0.5)
    order = place(("KB", 1)).json()
    assert order["status"] == "PAYMENT_QUEUED"
    payment_provider.configure(latency=0.0)
    runtime().jobs.run_all()
    assert_reconciled(payment_provider)


# Where the saga is stopped (modules whose outboxes are delivered, in order) before cancelling.
WAITING_FOR_STOCK: tuple[str, ...] = ()
WAITING_FOR_PAYMENT = ("orders", "inventory")
AUTHORIZED_NOT_YET_HEARD = ("orders", "inventory", "orders")
CONFIRMED_CAPTURE_NOT_SENT = ("orders", "inventory", "orders", "payments")


@pytest.mark.parametrize(
    "stop",
    [WAITING_FOR_STOCK, WAITING_FOR_PAYMENT, AUTHORIZED_NOT_YET_HEARD],
    ids=["waiting-for-stock", "waiting-for-payment", "authorized-not-yet-heard"],
)
def test_cancelling_before_confirmation_undoes_everything(
    auth_client, catalogue, place, payment_provider, stepwise, mailoutbox, stop
) -> None:
    order = place(("KB", 2)).json()
    stepwise.drain(*stop)
    response = auth_client.post(f"/api/orders/{order['id']}/cancel")
    assert response.status_code == 202
    stepwise.settle()
    final = auth_client.get(f"/api/orders/{order['id']}").json()
    assert (final["status"], final["status_reason"], final["saga"]["state"]) == (
        "CANCELLED",
        "cancelled by the customer",
        "COMPENSATED",
    )
    assert Product.objects.get(sku="KB").reserved == 0
    assert [m.subject.split(" is ")[-1] for m in mailoutbox if " is " in m.subject] == ["cancelled"]
    assert_reconciled(payment_provider)


def test_a_queued_capture_still_wins_over_a_cancellation(
    auth_client, catalogue, place, payment_provider, stepwise, settings
) -> None:
    """A capture that reached payments may have reached the provider: payments never voids it."""
    settings.PAYMENTS_RETRY_INITIAL = settings.PAYMENTS_RETRY_MAX = 0
    order = place(("KB", 1)).json()
    stepwise.drain(*CONFIRMED_CAPTURE_NOT_SENT)
    assert auth_client.get(f"/api/orders/{order['id']}").json()["status"] == "CONFIRMED"
    payment_provider.configure(failure_rate=1.0)
    stepwise.drain("orders")  # the capture reaches payments, which queues it
    assert auth_client.post(f"/api/orders/{order['id']}/cancel").status_code == 202
    payment_provider.configure(failure_rate=0.0)
    runtime().outbound.reset()
    stepwise.settle()
    final = auth_client.get(f"/api/orders/{order['id']}").json()
    assert (final["status"], final["saga"]["state"]) == ("CONFIRMED", "COMPLETED")
    assert_reconciled(payment_provider)


def test_a_cancellation_racing_the_capture_ends_one_way_or_the_other_and_reconciles(
    auth_client, catalogue, place, payment_provider, stepwise
) -> None:
    """The capture and the void are both on their way; whichever payments takes first wins: the
    order stays CONFIRMED with its payment captured, or ends CANCELLED with it voided."""
    order = place(("KB", 1)).json()
    stepwise.drain(*CONFIRMED_CAPTURE_NOT_SENT)
    assert auth_client.post(f"/api/orders/{order['id']}/cancel").status_code == 202
    stepwise.settle()
    final = auth_client.get(f"/api/orders/{order['id']}").json()
    assert (final["status"], final["saga"]["state"]) in {("CONFIRMED", "COMPLETED"), ("CANCELLED", "COMPENSATED")}
    assert_reconciled(payment_provider)


def test_a_captured_order_cannot_be_cancelled(auth_client, catalogue, place, payment_provider) -> None:
    order = place(("KB", 1)).json()
    response = auth_client.post(f"/api/orders/{order['id']}/cancel")
    assert response.status_code == 409
    assert response.json()["code"] == "order_not_cancellable"
    assert_reconciled(payment_provider)


def test_someone_elses_order_cannot_be_cancelled(catalogue, place, client_as) -> None:
    order = place(("KB", 1)).json()
    response = client_as(email="eve@example.com", subject="eve").post(f"/api/orders/{order['id']}/cancel")
    assert response.status_code == 404


def test_a_stuck_saga_is_listed_for_staff_who_retry_it(
    auth_client, catalogue, place, payment_provider, stepwise, client_as, settings
) -> None:
    settings.SAGA_MAX_RESENDS = 0
    settings.SAGA_STEP_TIMEOUT = 0
    order = place(("KB", 1)).json()
    stepwise.drain(*CONFIRMED_CAPTURE_NOT_SENT)
    OutboxEvent.objects.using("orders").filter(type="payments.CapturePaymentV1").delete()  # the capture got lost
    runtime().jobs.run_all()
    staff = client_as(email="ops@example.com", staff=True)
    stuck = staff.get("/api/orders", {"saga_state": "NEEDS_ATTENTION"}).json()["items"]
    assert [o["id"] for o in stuck] == [order["id"]]
    assert auth_client.post(f"/api/orders/{order['id']}/saga/retry").status_code == 403
    settings.SAGA_STEP_TIMEOUT = 30
    assert staff.post(f"/api/orders/{order['id']}/saga/retry").status_code == 202
    stepwise.settle()
    assert staff.get(f"/api/orders/{order['id']}").json()["saga"]["state"] == "COMPLETED"
    assert_reconciled(payment_provider)
