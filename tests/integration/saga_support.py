"""Helpers for the order saga tests on Celery/Redis and PostgreSQL (test_order_saga.py): the
monolith as production runs it (gunicorn without relay thread, ``manage.py relay`` with the
periodic jobs, one Celery worker per module queue, the fake provider process), a customer
talking to its public API, and gates that park one subscriber's deliveries so a test can stop a
saga exactly at one step.
"""

import textwrap
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg

from tests.integration.processes import Process, wait_for
from tests.integration.shop import QUEUES, Shop

DEMO_LOGIN = {"username": "demo", "password": "demo-pass-123"}  # seeded by load_demo_data
FINAL_SAGA_STATES = frozenset({"COMPLETED", "COMPENSATED"})
FORWARD = ["reserve_stock", "authorize_payment", "confirm_order", "capture_payment"]

# Every wait of the saga measured in seconds, not minutes. A step unanswered for
# SAGA_STEP_TIMEOUT is re-sent up to SAGA_MAX_RESENDS times, then compensated: ~20 s in all, more
# than any restart in these tests. The provider's breaker opens after 3 failed attempts and
# half-opens 2 s later; a queued payment is retried every 0.3-1.5 s.
SAGA_ENV = {
    "SAGA_STEP_TIMEOUT": "4",
    "SAGA_MAX_RESENDS": "4",
    "SAGA_QUEUED_TIMEOUT": "120",
    "SAGA_SWEEP_INTERVAL": "0.5",
    "PAYMENT_PROVIDER_TIMEOUT": "0.5",
    "PAYMENT_PROVIDER_ATTEMPTS": "2",
    "PAYMENT_PROVIDER_BREAKER_FAILURES": "3",
    "PAYMENT_PROVIDER_BREAKER_RESET": "2",
    "PAYMENTS_JOB_INTERVAL": "0.3",
    "PAYMENTS_RETRY_INITIAL": "0.3",
    "PAYMENTS_RETRY_MAX": "1.5",
    "PAYMENTS_LEASE_SECONDS": "5",  # > one whole provider call (0.5 s x 2 attempts + backoff)
    "PAYMENTS_VOID_RECHECK_AFTER": "1",
    "EVENTS_LEASE_SECONDS": "10",  # a killed relay's claimed batch is sent again 10 s later
    "CELERY_TASK_TIME_LIMIT": "20",  # a delivery parked at a gate waits that long at most
    "CELERY_VISIBILITY_TIMEOUT": "25",  # > the time limit and the retry backoff (platform.E001)
}


@dataclass
class Customer:
    """The demo customer on the public API (gunicorn at ``base``)."""

    base: str
    shop: Shop
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=15))

    def __post_init__(self) -> None:
        login = self.http.post(f"{self.base}/api/auth/token", json=DEMO_LOGIN)
        assert login.status_code == 200, login.text
        self.http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"

    def place(self, lines: Mapping[str, int], *, email: str = "demo@example.com") -> dict[str, Any]:
        body = {"customer_email": email, "lines": [{"sku": sku, "quantity": n} for sku, n in lines.items()]}
        response = self.http.post(f"{self.base}/api/orders", json=body)
        assert response.status_code == 201, f"placing {body}: {response.status_code} {response.text}"
        placed: dict[str, Any] = response.json()
        return placed

    def cancel(self, order_id: str) -> httpx.Response:
        return self.http.post(f"{self.base}/api/orders/{order_id}/cancel")

    def order(self, order_id: str) -> dict[str, Any]:
        response = self.http.get(f"{self.base}/api/orders/{order_id}")
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def wait_for_order(
        self, order_id: str, what: str, condition: Callable[[dict[str, Any]], bool], *, timeout: float = 30
    ) -> dict[str, Any]:
        """Until ``condition(order)`` holds; the order as it was then."""
        seen: dict[str, Any] = {}

        def holds() -> bool:
            seen.update(self.order(order_id))
            return condition(seen)

        wait_for(
            holds,
            timeout=timeout,
            what=f"order {order_id} {what}",
            details=lambda: f"{seen}\n{self.shop.diagnostics()}",
        )
        return seen

    def wait_final(self, order_ids: list[str], *, timeout: float = 60) -> dict[str, dict[str, Any]]:
        """Until every order's saga is final; order id -> the order."""
        final: dict[str, dict[str, Any]] = {}

        def done() -> bool:
            for order_id in order_ids:
                if order_id not in final:
                    order = self.order(order_id)
                    if order["saga"]["state"] in FINAL_SAGA_STATES:
                        final[order_id] = order
            return len(final) == len(order_ids)

        wait_for(
            done,
            timeout=timeout,
            what=f"{len(order_ids)} sagas to end",
            details=lambda: f"{len(final)} ended; {self.stuck(order_ids, final)}\n{self.shop.diagnostics()}",
        )
        return final

    def stuck(self, order_ids: list[str], final: Mapping[str, Any]) -> str:
        open_ = [self.order(o) for o in order_ids if o not in final][:3]
        return "still open: " + "; ".join(f"{o['id']} {o['status']} {o['saga']}" for o in open_)


def steps(order: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(step["name"], step["status"]) for step in order["saga"]["steps"]]


@dataclass
class Monolith:
    """The processes of one monolith: web, relay and a worker per module queue."""

    shop: Shop
    base: str
    relay: Process
    workers: dict[str, Process]

    def customer(self) -> Customer:
        return Customer(base=self.base, shop=self.shop)

    def restart_worker(self, queue: str, **options: Any) -> Process:
        self.workers[queue] = self.shop.worker(f"worker-{queue}", (queue,), **options)
        return self.workers[queue]

    def restart_relay(self) -> Process:
        self.relay = self.shop.relay()
        return self.relay

    def logs(self, *prefixes: str) -> str:
        return "\n".join(p.log() for p in self.shop.processes.started if p.name.startswith(prefixes))


def start_monolith(
    shop: Shop,
    *,
    queues: tuple[str, ...] = QUEUES,
    concurrency: Mapping[str, int] | None = None,
    env: Mapping[str, str] | None = None,
    web_threads: int = 0,
) -> Monolith:
    """Web, relay and a worker per queue in ``queues`` (each with ``concurrency[queue]`` pool
    processes, 2 by default), started together, ready on return; ``env`` overrides SAGA_ENV,
    ``web_threads`` makes gunicorn's 2 workers threaded (gthread)."""
    shop.env.update({**SAGA_ENV, **(env or {})})
    workers = {
        queue: shop.worker(f"worker-{queue}", (queue,), concurrency=(concurrency or {}).get(queue, 2), wait=False)
        for queue in queues
    }
    relay = shop.relay(wait=False)
    base = shop.web(threads=web_threads)
    shop.processes.wait_ready()
    return Monolith(shop=shop, base=base, relay=relay, workers=workers)


# --- gates: park one subscriber's deliveries ------------------------------------------------------

# Installed in a module database: every inbox insert (the first thing a delivery does, before the
# handler's transaction) takes a shared advisory lock named after its subscriber, which costs
# nothing until a test holds that lock exclusively: then that subscriber's deliveries wait there.
GATE = """
CREATE OR REPLACE FUNCTION saga_test_gate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtext(NEW.subscriber));
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS saga_test_gate ON events_inboxentry;
CREATE TRIGGER saga_test_gate BEFORE INSERT ON events_inboxentry
    FOR EACH ROW EXECUTE FUNCTION saga_test_gate();
"""


@contextmanager
def gate_closed(shop: Shop, subscriber: str) -> Iterator["Gate"]:
    """While inside, ``subscriber``'s deliveries wait at their inbox (in their module's database)."""
    module = subscriber.split(".")[0]
    with psycopg.connect(shop.dsn(module), autocommit=True) as holder:
        holder.execute(GATE)
        holder.execute("SELECT pg_advisory_lock(hashtext(%s))", (subscriber,))
        gate = Gate(shop=shop, module=module, subscriber=subscriber, holder=holder)
        try:
            yield gate
        finally:
            holder.execute("SELECT pg_advisory_unlock(hashtext(%s))", (subscriber,))


@dataclass
class Gate:
    shop: Shop
    module: str
    subscriber: str
    holder: psycopg.Connection[Any]

    def parked(self) -> int:
        """Deliveries waiting at this gate now."""
        sql = "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))"
        return int(self.shop.value(self.module, sql, (self.holder.info.backend_pid,)))

    def wait_parked(self, count: int = 1, *, timeout: float = 30) -> None:
        wait_for(
            lambda: self.parked() >= count,
            timeout=timeout,
            what=f"{count} {self.subscriber} deliveries parked at the gate",
            details=self.shop.diagnostics,
        )


def inject(shop: Shop, code: str) -> str:
    """Run ``code`` in ``manage.py shell`` of the deployment (it publishes through the real bus)."""
    return shop.shell(textwrap.dedent(code))


def elapsed(since: float) -> str:
    return f"{time.monotonic() - since:.1f}s"
