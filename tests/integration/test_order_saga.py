"""The order saga on Celery/Redis and PostgreSQL (issue 5; DESIGN.md sections 5 and 6), with real
processes on loopback ports chosen at run time: the monolith under gunicorn, ``manage.py relay``
(events, saga deadlines, queued payments), one Celery worker per module queue, and the fake
payment provider as a process of its own. Every test ends with the deployment at rest and stock
and money reconciled against PostgreSQL and the provider's ledger (reconcile.py).

How a saga is stopped exactly at one step without touching the application: a gate (see
``saga_support.gate_closed``) parks one subscriber's deliveries at their inbox until the test
opens it. The in-process variants are tests/e2e/test_order_saga.py; the idempotency race on the
in-process transport is tests/integration/test_idempotency_race.py, here it runs on Celery.
"""

import os
import random
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.app.idempotency.race import assert_one_execution, demo_token, race
from tests.integration.processes import Process, wait_for
from tests.integration.saga_support import FORWARD, Customer, gate_closed, inject, start_monolith, steps
from tests.integration.shop import Shop

pytestmark = pytest.mark.integration

CHEAP = {"FT-A": 1}  # 1.50, far below any decline limit; a million in stock
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
CANCELLED_BY_CUSTOMER = "cancelled by the customer"


def forward_steps() -> list[tuple[str, str]]:
    return [(step, SUCCEEDED) for step in FORWARD]


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def report(shop: Shop, what: str) -> None:
    """The reconciliation, printed (``pytest -s``) with what the test did."""
    print(f"\n{what}: reconciled {shop.reconcile()}")


# --- the forward path and the rejections --------------------------------------------------------


def test_happy_path_confirms_captures_and_shows_every_step(shop: Shop) -> None:
    monolith = start_monolith(shop)
    customer = monolith.customer()

    placed = [customer.place({"KB-001": 2}), customer.place({"MS-002": 1, "CB-004": 3})]
    assert {(o["status"], o["saga"]["state"]) for o in placed} == {("PENDING", "RUNNING")}
    final = customer.wait_final([o["id"] for o in placed])

    for order in final.values():
        assert (order["status"], order["saga"]["state"], order["saga"]["deadline_at"]) == (
            "CONFIRMED",
            "COMPLETED",
            None,
        )
        assert steps(order) == forward_steps()
        assert all(s["finished_at"] >= s["started_at"] and s["attempts"] == 1 for s in order["saga"]["steps"])
        captured = shop.provider.authorizations(reference=order["id"])
        assert [(a["status"], a["amount"]) for a in captured] == [("captured", order["total"])]
    # A reader can follow one order's saga in the logs too.
    first = placed[0]["id"]
    log = monolith.logs("worker-orders")
    for line in ("reserve_stock succeeded", "order is now CONFIRMED", "capture_payment succeeded"):
        assert f"order {first} saga: {line}" in log, line
    shop.wait_at_rest()
    assert shop.reconcile().authorizations == Counter(captured=2)


def test_out_of_stock_and_declined_payment_are_rejected_and_compensated(shop: Shop) -> None:
    monolith = start_monolith(shop)
    customer = monolith.customer()
    shop.provider.configure(decline_over="100")

    out_of_stock = customer.place({"DK-005": 2})  # one in stock
    over_limit = customer.place({"KB-001": 2})  # 178.00
    declined_card = customer.place(CHEAP, email="decline@example.com")  # the issuer says no
    final = customer.wait_final([out_of_stock["id"], over_limit["id"], declined_card["id"]])

    refused = final[out_of_stock["id"]]
    assert (refused["status"], refused["status_reason"]) == ("REJECTED", "insufficient stock for DK-005")
    assert (refused["saga"]["state"], steps(refused)) == ("COMPENSATED", [("reserve_stock", FAILED)])
    assert shop.provider.authorizations(reference=refused["id"]) == []
    assert shop.rows("payments", "SELECT 1 FROM payments_payment WHERE order_id = %s", (refused["id"],)) == []

    for order, reason in ((final[over_limit["id"]], "over the limit"), (final[declined_card["id"]], "declined")):
        assert (order["status"], order["saga"]["state"]) == ("REJECTED", "COMPENSATED")
        assert reason in order["status_reason"]
        assert steps(order) == [
            ("reserve_stock", SUCCEEDED),
            ("authorize_payment", FAILED),
            ("release_stock", SUCCEEDED),
        ]
        assert [a["status"] for a in shop.provider.authorizations(reference=order["id"])] == ["declined"]
    assert shop.value("inventory", "SELECT reserved FROM inventory_product WHERE sku = 'KB-001'") == 0
    shop.wait_at_rest()
    assert shop.reconcile().authorizations == Counter(declined=2)


# --- the provider down, and slow -------------------------------------------------------------------


def test_provider_down_queues_payments_then_they_complete_without_a_new_request(shop: Shop) -> None:
    monolith = start_monolith(shop)
    customer = monolith.customer()
    shop.provider.kill()

    placed = [customer.place(CHEAP)["id"] for _ in range(4)]
    for order in placed:
        customer.wait_for_order(order, "PAYMENT_QUEUED", lambda o: o["status"] == "PAYMENT_QUEUED")
    # The breakers (per process: the payments worker's, the relay's job) opened: calls fail fast.
    wait_for(
        lambda: "payment-provider: circuit open, failing fast" in monolith.logs("worker-payments", "relay"),
        timeout=20,
        what="a payment-provider breaker to open",
        details=shop.diagnostics,
    )
    time.sleep(3)  # down a while longer: the queued payments are retried meanwhile, in vain
    assert {customer.order(o)["status"] for o in placed} == {"PAYMENT_QUEUED"}

    shop.provider.start()  # back on the same port with the same ledger; nobody asks anything again
    final = customer.wait_final(placed, timeout=45)

    for order in final.values():
        assert (order["status"], steps(order)) == ("CONFIRMED", forward_steps())
        authorize = order["saga"]["steps"][1]
        assert authorize["attempts"] == 1, "the saga re-sent the authorization: payments should retry by itself"
    assert "job payments.process_due handled" in monolith.logs("relay")
    shop.wait_at_rest()
    assert shop.reconcile().authorizations == Counter(captured=len(placed))


def test_provider_slower_than_the_timeout_queues_payments_then_they_complete(shop: Shop) -> None:
    monolith = start_monolith(shop)
    customer = monolith.customer()
    shop.provider.configure(latency=1.5)  # PAYMENT_PROVIDER_TIMEOUT is 0.5 s

    placed = [customer.place(CHEAP)["id"] for _ in range(3)]
    for order in placed:
        customer.wait_for_order(order, "PAYMENT_QUEUED", lambda o: o["status"] == "PAYMENT_QUEUED")
    assert "ReadTimeout" in monolith.logs("worker-payments", "relay")

    shop.provider.configure(latency=0.0)
    final = customer.wait_final(placed, timeout=45)

    assert {order["status"] for order in final.values()} == {"CONFIRMED"}
    shop.wait_at_rest()
    # The provider processed the requests we gave up on; each retry carried the same key, so
    # every order still has exactly one authorization (reconcile fails on a second one).
    assert shop.reconcile().authorizations == Counter(captured=len(placed))


# --- duplicate and reordered replies -------------------------------------------------------------

LATE_REPLIES = """
import uuid
from decimal import Decimal
from django.db import transaction
from contracts.kernel.commands import command_id_for
from contracts.kernel.events import publish
from contracts.inventory.events import StockReleasedV1, StockReservationFailedV1, StockReservedV1
from contracts.payments.events import (
    PaymentAuthorizedV1, PaymentCapturedV1, PaymentDeclinedV1, PaymentQueuedV1, PaymentVoidedV1,
)

confirmed, rejected = uuid.UUID("{confirmed}"), uuid.UUID("{rejected}")

def cid(order, step):
    return command_id_for(process_id=order, step=step)

with transaction.atomic(using="payments"):
    # "queued" overtaken by "authorized", then arriving: must not move the order back
    publish(PaymentQueuedV1(order_id=confirmed, command_id=cid(confirmed, "authorize_payment"), reason="late"))
    publish(PaymentAuthorizedV1(order_id=confirmed, command_id=cid(confirmed, "authorize_payment"),
                                amount=Decimal("1.50"), provider_reference="auth_duplicate"))
    publish(PaymentCapturedV1(order_id=confirmed, command_id=cid(confirmed, "capture_payment"), amount=Decimal("1.50")))
    publish(PaymentDeclinedV1(order_id=confirmed, command_id=cid(confirmed, "authorize_payment"), reason="late"))
    publish(PaymentVoidedV1(order_id=confirmed, command_id=cid(confirmed, "void_payment")))
    publish(PaymentAuthorizedV1(order_id=rejected, command_id=cid(rejected, "authorize_payment"),
                                amount=Decimal("298.00"), provider_reference="auth_never_asked"))
with transaction.atomic(using="inventory"):
    publish(StockReservationFailedV1(order_id=confirmed, command_id=cid(confirmed, "reserve_stock"), reason="late"))
    publish(StockReleasedV1(order_id=confirmed, command_id=cid(confirmed, "release_stock")))
    publish(StockReservedV1(order_id=rejected, command_id=cid(rejected, "reserve_stock")))
    publish(StockReservedV1(order_id=confirmed, command_id=uuid.uuid4()))  # not a command of this saga
print(10)
"""


def orders_processed(shop: Shop) -> int:
    return int(shop.value("orders", "SELECT count(*) FROM events_inboxentry WHERE processed_at IS NOT NULL"))


def test_duplicate_and_reordered_replies_change_nothing(shop: Shop) -> None:
    # 1. Re-sent commands: nothing consumes the inventory queue until every saga has asked for
    #    its stock three times (same command id); inventory then reserves once, answers each.
    since = now_iso()
    monolith = start_monolith(
        shop, queues=("orders", "payments", "notifications"), env={"SAGA_STEP_TIMEOUT": "1", "SAGA_MAX_RESENDS": "12"}
    )
    customer = monolith.customer()
    placed = [customer.place(CHEAP)["id"] for _ in range(3)] + [customer.place({"DK-005": 2})["id"]]
    for order in placed:
        customer.wait_for_order(order, "asked for stock 3 times", lambda o: o["saga"]["steps"][0]["attempts"] >= 3)
    monolith.restart_worker("inventory")
    final = customer.wait_final(placed)
    shop.wait_at_rest()

    assert Counter(o["status"] for o in final.values()) == Counter(CONFIRMED=3, REJECTED=1)
    asked = shop.value(
        "inventory", "SELECT count(*) FROM events_inboxentry WHERE subscriber = 'inventory.reserve_stock'"
    )
    answers = (
        "SELECT count(*) FROM events_inboxentry "
        "WHERE subscriber IN ('orders.saga_stock_reserved', 'orders.saga_stock_refused')"
    )
    assert asked >= 3 * len(placed)
    assert shop.value("orders", answers) >= 3 * len(placed)
    assert shop.value("inventory", "SELECT count(*) FROM inventory_reservation") == len(placed)
    assert "ignored a succeeded answer to reserve_stock" in monolith.logs("worker-orders")
    shop.reconcile()
    before = {order: customer.order(order) for order in placed}

    # 2. A time range replayed (as after a broker loss): every message since the start is sent
    #    again with its own id; the inboxes absorb all of it.
    duplicates = shop.task_outcomes()["duplicate"]
    requeued = sum(int(line.split()[1]) for line in shop.manage("events", "replay", "--since", since).splitlines())
    assert requeued > 8 * 3
    wait_for(
        lambda: shop.task_outcomes()["duplicate"] >= duplicates + requeued,
        timeout=60,
        what=f"{requeued} replayed deliveries absorbed as duplicates",
        details=shop.diagnostics,
    )
    shop.wait_at_rest()
    assert {order: customer.order(order) for order in placed} == before

    # 3. Late, duplicate, contradictory and foreign replies with ids never seen: past the inboxes,
    #    into the sagas, which ignore every one of them.
    confirmed = next(o for o in placed if final[o]["status"] == "CONFIRMED")
    rejected = next(o for o in placed if final[o]["status"] == "REJECTED")
    processed = orders_processed(shop)
    injected = int(inject(shop, LATE_REPLIES.format(confirmed=confirmed, rejected=rejected)))
    wait_for(
        lambda: orders_processed(shop) >= processed + injected,
        timeout=60,
        what=f"{injected} injected replies handled",
        details=shop.diagnostics,
    )
    shop.wait_at_rest()
    assert {order: customer.order(order) for order in placed} == before
    log = monolith.logs("worker-orders")
    assert f"order {confirmed} saga: ignored a queued answer to authorize_payment" in log
    assert f"order {rejected} saga: ignored a succeeded answer to authorize_payment" in log
    assert "not one of its own" in log
    report(shop, f"asked for stock {asked} times for {len(placed)} orders, replayed {requeued}, injected {injected}")


# --- the process killed mid-saga -----------------------------------------------------------------

RUN = 60  # orders placed while the faults hit
CRASH = {
    "CELERY_VISIBILITY_TIMEOUT": "8",  # a whole worker killed: its un-acked messages return 8 s later
    "CELERY_TASK_TIME_LIMIT": "6",
    "EVENTS_LEASE_SECONDS": "5",  # a killed relay's claimed batch is sent again 5 s later
    "SAGA_MAX_RESENDS": "8",  # ~36 s before a step is given up: longer than any outage here
}


def kill_mid_task(shop: Shop, worker: Process, subscriber: str) -> None:
    """Park one of ``subscriber``'s deliveries mid-task (at its inbox, inside the handler's
    transaction), SIGKILL the worker's pool children, then let the others through: the worker's
    parent sees a task die (WorkerLostError) and requeues its message. Parking makes the kill
    land mid-task every time; killing at random moments misses once tasks take a millisecond."""
    module = subscriber.split(".")[0]
    with gate_closed(shop, subscriber) as gate:
        gate.wait_parked()
        sql = "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))"
        parked = [pid for (pid,) in shop.rows(module, sql, (gate.holder.info.backend_pid,))]
        for child in worker.children():
            os.kill(child, signal.SIGKILL)
        wait_for(lambda: "WorkerLostError" in worker.log(), timeout=30, what=f"{subscriber}'s task to die mid-way")
        for pid in parked:  # what PostgreSQL does once it notices; done now, so its locks go at once
            shop.rows(module, "SELECT pg_terminate_backend(%s)", (pid,))


def place_in_background(customer: Customer, count: int, *, pace: float) -> tuple[ThreadPoolExecutor, list[Any]]:
    """``count`` orders from 4 threads, one every ``pace`` s per thread (so faults land mid-run)."""

    def place(i: int) -> dict[str, Any]:
        time.sleep(pace * (i // 4))
        return customer.place({"FT-A": 1 + i % 3, **({"FT-B": 2} if i % 2 else {})})

    pool = ThreadPoolExecutor(max_workers=count)
    return pool, [pool.submit(place, i) for i in range(count)]


def test_processes_killed_mid_saga_resume_and_nothing_happens_twice(shop: Shop) -> None:
    monolith = start_monolith(shop, env=CRASH)
    customer = monolith.customer()
    started = time.monotonic()
    pool, futures = place_in_background(customer, RUN, pace=0.25)  # over ~4 s

    faults: list[str] = []
    time.sleep(1.0)
    kill_mid_task(shop, monolith.workers["inventory"], "inventory.reserve_stock")
    faults.append("inventory pool children killed mid-task")
    kill_mid_task(shop, monolith.workers["payments"], "payments.authorize")
    faults.append("payments pool children killed mid-task")
    monolith.relay.kill()
    monolith.restart_relay()
    faults.append("relay killed and restarted")
    monolith.workers["orders"].kill()
    orders_killed_at = time.monotonic()
    faults.append("orders worker killed")

    placed = [future.result(timeout=60)["id"] for future in futures]
    pool.shutdown()
    # Restarted once its un-acked messages are due again (see test_event_faults for why).
    time.sleep(max(0.0, orders_killed_at + int(CRASH["CELERY_VISIBILITY_TIMEOUT"]) + 1 - time.monotonic()))
    monolith.restart_worker("orders")
    final = customer.wait_final(placed, timeout=120)
    shop.wait_at_rest(timeout=60)

    assert Counter(o["status"] for o in final.values()) == Counter(CONFIRMED=RUN), shop.diagnostics()
    assert shop.reconcile().authorizations == Counter(captured=RUN)
    assert shop.value("inventory", "SELECT count(*) FROM inventory_reservation") == RUN
    assert shop.value("payments", "SELECT count(*) FROM payments_payment WHERE status = 'CAPTURED'") == RUN
    for queue in ("payments", "inventory"):
        assert "WorkerLostError" in monolith.logs(f"worker-{queue}"), f"no {queue} task died mid-way"
    resent = shop.value("orders", "SELECT coalesce(sum(attempts - 1), 0) FROM orders_sagastep")
    report(shop, f"{RUN} orders in {time.monotonic() - started:.1f}s; faults {faults}; steps re-sent {resent}")


# --- cancellation ---------------------------------------------------------------------------------


def cancel_accepted(customer: Customer, order: str) -> None:
    response = customer.cancel(order)
    assert response.status_code == 202, response.text


def wait_compensated(customer: Customer, order: str) -> dict[str, Any]:
    return customer.wait_for_order(order, "compensated", lambda o: o["saga"]["state"] == "COMPENSATED")


def assert_cancelled(order: dict[str, Any], expected_steps: list[tuple[str, str]]) -> None:
    assert (order["status"], order["status_reason"]) == ("CANCELLED", CANCELLED_BY_CUSTOMER), order
    assert steps(order) == expected_steps


UNDONE = [("void_payment", SUCCEEDED), ("release_stock", SUCCEEDED)]


def test_cancel_at_every_step(shop: Shop) -> None:
    monolith = start_monolith(shop, concurrency={"payments": 3})
    customer = monolith.customer()
    cases: dict[str, str] = {}

    # Waiting for its stock: the release overtakes the reservation, whose late answer is ignored.
    with gate_closed(shop, "inventory.reserve_stock") as gate:
        order = cases["waiting for stock"] = customer.place(CHEAP)["id"]
        gate.wait_parked()
        cancel_accepted(customer, order)
        cancel_accepted(customer, order)  # a second cancel changes nothing
        assert_cancelled(wait_compensated(customer, order), [("reserve_stock", FAILED), ("release_stock", SUCCEEDED)])
    tombstone = (
        "SELECT status, (SELECT count(*) FROM inventory_reservationline l WHERE l.reservation_id = r.id) "
        "FROM inventory_reservation r WHERE order_id = %s"
    )
    shop.wait_at_rest()
    assert shop.rows("inventory", tombstone, (order,)) == [("RELEASED", 0)]

    # Waiting for its payment: the void overtakes the authorization, which never reaches the provider.
    with gate_closed(shop, "payments.authorize") as gate:
        order = cases["waiting for payment"] = customer.place(CHEAP)["id"]
        gate.wait_parked()
        cancel_accepted(customer, order)
        assert_cancelled(
            wait_compensated(customer, order), [("reserve_stock", SUCCEEDED), ("authorize_payment", FAILED), *UNDONE]
        )
    shop.wait_at_rest()
    assert shop.provider.authorizations(reference=order) == []

    # Authorized at the provider, the saga not told yet: the void releases the money held.
    with gate_closed(shop, "orders.saga_payment_authorized") as gate:
        order = cases["authorized, not yet heard"] = customer.place(CHEAP)["id"]
        gate.wait_parked()
        assert [a["status"] for a in shop.provider.authorizations(reference=order)] == ["authorized"]
        cancel_accepted(customer, order)
        assert_cancelled(
            wait_compensated(customer, order), [("reserve_stock", SUCCEEDED), ("authorize_payment", FAILED), *UNDONE]
        )
    shop.wait_at_rest()
    assert [a["status"] for a in shop.provider.authorizations(reference=order)] == ["voided"]

    # Confirmed, its capture not yet carried out: cancelled all the same, the capture refused.
    with gate_closed(shop, "payments.capture") as gate:
        order = cases["confirmed, capture pending"] = customer.place(CHEAP)["id"]
        gate.wait_parked()
        assert customer.order(order)["status"] == "CONFIRMED"
        cancel_accepted(customer, order)
        assert_cancelled(
            wait_compensated(customer, order), [*forward_steps()[:3], ("capture_payment", FAILED), *UNDONE]
        )
    shop.wait_at_rest()
    assert [a["status"] for a in shop.provider.authorizations(reference=order)] == ["voided"]

    # Confirmed, the capture under way when the cancel comes: the capture wins, the void is refused.
    with gate_closed(shop, "payments.void") as void_gate:
        with gate_closed(shop, "payments.capture") as capture_gate:
            order = cases["capture wins the race"] = customer.place(CHEAP)["id"]
            capture_gate.wait_parked()
            cancel_accepted(customer, order)
            void_gate.wait_parked()
        won = customer.wait_for_order(order, "completed", lambda o: o["saga"]["state"] == "COMPLETED")
    assert (won["status"], won["status_reason"]) == ("CONFIRMED", "")
    shop.wait_at_rest()
    assert [a["status"] for a in shop.provider.authorizations(reference=order)] == ["captured"]

    # Captured: too late.
    order = cases["captured"] = customer.place(CHEAP)["id"]
    customer.wait_final([order])
    refused = customer.cancel(order)
    assert (refused.status_code, refused.json()["code"]) == (409, "order_not_cancellable")

    # Its payment queued at a failing provider: the void is retried until the provider is back.
    shop.provider.configure(failure_rate=1.0)
    order = cases["payment queued"] = customer.place(CHEAP)["id"]
    customer.wait_for_order(order, "PAYMENT_QUEUED", lambda o: o["status"] == "PAYMENT_QUEUED")
    cancel_accepted(customer, order)
    time.sleep(2)
    assert customer.order(order)["saga"]["state"] == "COMPENSATING"
    shop.provider.healthy_again()
    assert_cancelled(
        wait_compensated(customer, order), [("reserve_stock", SUCCEEDED), ("authorize_payment", FAILED), *UNDONE]
    )

    shop.wait_at_rest()
    statuses = {case: customer.order(order)["status"] for case, order in cases.items()}
    report(shop, f"cancelled at every step: {statuses}")
    assert "capture refused" in monolith.logs("worker-payments")
    assert "void refused" in monolith.logs("worker-payments")


CANCEL_RUN = 30


def test_cancel_at_random_points_during_a_run(shop: Shop) -> None:
    monolith = start_monolith(shop)
    customer = monolith.customer()
    # Cancels spread over a saga's whole life, however fast this machine runs one: measured first.
    started = time.monotonic()
    customer.wait_final([customer.place({"FT-A": 2})["id"]])
    saga_seconds = time.monotonic() - started
    seed = int(time.time())
    delays = [random.Random(seed + i).uniform(0, 2 * saga_seconds) for i in range(CANCEL_RUN)]

    def place_then_cancel(delay: float) -> tuple[str, int]:
        order = customer.place({"FT-A": 2})["id"]
        time.sleep(delay)
        return order, customer.cancel(order).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = dict(pool.map(place_then_cancel, delays))
    final = customer.wait_final(list(answers), timeout=90)
    shop.wait_at_rest()

    outcomes = Counter((answers[o], final[o]["status"]) for o in answers)
    assert set(outcomes) <= {(202, "CANCELLED"), (202, "CONFIRMED"), (409, "CONFIRMED")}, f"seed {seed}: {outcomes}"
    assert outcomes[(202, "CANCELLED")] > 0, f"seed {seed}: nothing was cancelled: {outcomes}"
    for answer in final.values():
        if answer["status"] == "CANCELLED":
            assert steps(answer)[-1] == ("release_stock", SUCCEEDED), answer
    report(shop, f"seed {seed}, one saga {saga_seconds:.2f}s: (cancel answer, final status) {dict(outcomes)}")


# --- idempotent requests --------------------------------------------------------------------------


def test_concurrent_identical_requests_with_one_key_start_one_saga(shop: Shop) -> None:
    monolith = start_monolith(shop, web_threads=4)  # requests race across 2 processes x 4 threads
    token = demo_token(monolith.base)

    for round_ in range(3):
        assert_one_execution(race(base_url=monolith.base, token=token, key=f"saga-race-{round_}"))
    orders = [order for (order,) in shop.rows("orders", "SELECT id::text FROM orders_order")]
    assert len(orders) == 3
    final = monolith.customer().wait_final(orders)
    shop.wait_at_rest()

    assert {o["status"] for o in final.values()} == {"CONFIRMED"}
    assert all([(line["sku"], line["quantity"]) for line in o["lines"]] == [("KB-001", 1)] for o in final.values())
    assert shop.reconcile().authorizations == Counter(captured=3)
