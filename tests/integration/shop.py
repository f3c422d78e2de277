"""The shop deployed for the event fault and saga tests: its own PostgreSQL databases, its own
Redis, its own fake payment provider process, real Celery workers, relays and gunicorn, and the
measurements the tests assert on.

The tests count effects, never deliveries: orders confirmed, stock reserved, one reservation,
one captured payment and two emails per order, stock and money reconciled (``reconcile.py``).
Deliveries and task executions are counted too, but only to show that a fault really happened
(a duplicate was sent, a message was redelivered).
"""

import os
import re
import subprocess
import sys
import textwrap
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import psycopg

from tests.integration.processes import (
    ROOT,
    Process,
    Processes,
    RedisServer,
    celery_worker,
    drop_databases,
    gunicorn,
    relay,
    wait_for,
)
from tests.integration.provider import PaymentProvider, start_provider
from tests.integration.reconcile import Reconciled, assert_reconciled, restless

MODULES = ("inventory", "notifications", "orders", "payments")
QUEUES = MODULES  # a subscriber's queue is its module's name
# What one confirmed order's saga is delivered to, when no step had to be asked twice:
# (subscriber, the command or event it consumes).
SUBSCRIBERS = (
    "notifications.order_received",  # orders.OrderPlacedV1
    "inventory.reserve_stock",  # inventory.ReserveStockV1, sent by the saga
    "orders.saga_stock_reserved",  # inventory.StockReservedV1
    "payments.authorize",  # payments.AuthorizePaymentV1
    "orders.saga_payment_authorized",  # payments.PaymentAuthorizedV1
    "notifications.order_confirmed",  # orders.OrderConfirmedV1
    "payments.capture",  # payments.CapturePaymentV1
    "orders.saga_payment_captured",  # payments.PaymentCapturedV1
)
HOLD_SKU = "FT-HOLD"  # a product only the "held" order uses, so a test can lock just its row
BIG_STOCK = 1_000_000

# Knobs that make recovery take seconds instead of minutes; each test adds its own. The saga
# never re-sends a step here (SAGA_STEP_TIMEOUT): the event fault tests count deliveries, and a
# re-sent command would be one more. The saga tests (test_order_saga.py) shorten it.
FAST = {
    "EVENTS_POLL_INTERVAL": "0.5",
    "EVENTS_RETRY_BACKOFF": "0.2",
    "EVENTS_RETRY_BACKOFF_MAX": "2",
    "EVENTS_LEASE_SECONDS": "30",
    "SAGA_STEP_TIMEOUT": "600",
    "SAGA_SWEEP_INTERVAL": "0.5",
    "PAYMENT_PROVIDER_TIMEOUT": "2",
    "PAYMENT_PROVIDER_ATTEMPTS": "2",
    "PAYMENT_PROVIDER_BREAKER_FAILURES": "3",
    "PAYMENT_PROVIDER_BREAKER_RESET": "2",
    "PAYMENTS_JOB_INTERVAL": "0.3",
    "PAYMENTS_RETRY_INITIAL": "0.3",
    "PAYMENTS_RETRY_MAX": "1.5",
    "PAYMENTS_LEASE_SECONDS": "8",  # > one whole provider call: timeout x attempts + backoff
    "PAYMENTS_VOID_RECHECK_AFTER": "1",
}

# Fault-injection instrument, installed in every module database: one row per claim of a
# delivery (created leased, or leased again later), naming the claiming process (PGAPPNAME).
# A claim is followed by a send, so the rows per delivery are the sends per delivery, whichever
# relay made them.
CLAIM_AUDIT = """
CREATE TABLE fault_claim (
    id bigserial PRIMARY KEY,
    delivery_id bigint NOT NULL,
    subscriber text NOT NULL,
    claimer text NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE FUNCTION fault_claim_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.claimed_until IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.claimed_until IS DISTINCT FROM OLD.claimed_until) THEN
        INSERT INTO fault_claim (delivery_id, subscriber, claimer)
        VALUES (NEW.id, NEW.subscriber, current_setting('application_name'));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER fault_claim_record AFTER INSERT OR UPDATE ON events_outboxdelivery
    FOR EACH ROW EXECUTE FUNCTION fault_claim_record();
"""

SEED = f"""
from decimal import Decimal
from modules.inventory.services import product_ensure
for sku in ("FT-A", "FT-B", "{HOLD_SKU}"):
    product_ensure(sku=sku, name="fault test " + sku, unit_price=Decimal("1.50"), on_hand={BIG_STOCK})
"""

# Order i: 1-3 x FT-A, plus 2 x FT-B for even i; the order numbered HOLD uses the held product.
# TOGETHER: all in one transaction, so a relay sees them all at once.
PLACE = """
from contextlib import nullcontext
from django.db import transaction
from modules.orders.services import LineRequest, order_place
with transaction.atomic(using="orders") if {together} else nullcontext():
    for i in range({start}, {start} + {count}):
        lines = [LineRequest(sku="{hold_sku}" if i == {hold} else "FT-A", quantity=1 + i % 3)]
        if i % 2 == 0:
            lines.append(LineRequest(sku="FT-B", quantity=2))
        order_place(customer_email=f"buyer{{i}}@example.com", lines=tuple(lines))
print("placed", {count})
"""

_TASK_RESULT = re.compile(r"Task events\.deliver\[[0-9a-f-]+\] succeeded in [0-9.e-]+s: '(\w+)'")


NOT_FINAL = ("PENDING", "PAYMENT_QUEUED")


@dataclass(frozen=True)
class Snapshot:
    """Where a run stands, read straight from the databases."""

    orders: Counter[str]  # status -> count
    sagas_running: int  # RUNNING or COMPENSATING
    notifications: int
    pending: int  # deliveries not yet recorded as delivered, every database
    unexpanded: int  # outbox events no relay has expanded yet
    dead: int  # dead letters not replayed

    def settled(self, expected_orders: int) -> bool:
        return (
            sum(self.orders.values()) == expected_orders
            and not any(self.orders[status] for status in NOT_FINAL)
            and self.sagas_running == 0
            and self.notifications == 2 * expected_orders
            and self.pending == 0
            and self.unexpanded == 0
        )


@dataclass
class Shop:
    server: str
    database: str
    env: dict[str, str]
    processes: Processes
    redis: RedisServer
    provider: PaymentProvider
    tmp: Path

    # Databases

    def dsn(self, module: str) -> str:
        return f"{self.server}/{self.database}_{module}"

    def rows(self, module: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.dsn(module), autocommit=True) as connection:
            return connection.execute(sql, params).fetchall()

    def value(self, module: str, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.rows(module, sql, params)[0][0]

    def total(self, sql: str) -> int:
        """``sql`` (a count) summed over every module database."""
        return sum(int(self.value(module, sql)) for module in MODULES)

    # Commands and processes

    def manage(self, *args: str) -> str:
        return manage(self.env, *args)

    def shell(self, code: str) -> str:
        return self.manage("shell", "-v", "0", "-c", textwrap.dedent(code))

    def worker(
        self,
        name: str,
        queues: tuple[str, ...] = QUEUES,
        *,
        concurrency: int = 1,
        wait: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> Process:
        """A Celery worker (``wait=False``: started, not yet ready; see ``Processes.wait_ready``)."""
        settings = {**self.env, **(env or {})}
        return celery_worker(self.processes, settings, name=name, queues=queues, concurrency=concurrency, wait=wait)

    def relay(self, name: str = "relay", *, wait: bool = True, env: Mapping[str, str] | None = None) -> Process:
        """``manage.py relay``: it delivers events and also runs the periodic jobs (saga
        deadlines, queued payments) unless ``--no-jobs``."""
        return relay(self.processes, {**self.env, **(env or {})}, name=name, wait=wait)

    def web(self, *, workers: int = 2, threads: int = 0) -> str:
        """gunicorn as production runs it: no relay or jobs thread inside (the relay process has
        them). Its base URL once healthy."""
        return gunicorn(self.processes, {**self.env, "EVENTS_RELAY_IN_WEB": "0"}, workers=workers, threads=threads)

    def place_orders(self, count: int, *, start: int = 0, together: bool = False) -> None:
        self.shell(PLACE.format(start=start, count=count, hold=-1, hold_sku=HOLD_SKU, together=together))

    def start_placing(self, count: int, *, start: int = 0, hold: int = -1) -> Process:
        """Place orders from a background process (``hold``: the order that uses HOLD_SKU)."""
        code = PLACE.format(start=start, count=count, hold=hold, hold_sku=HOLD_SKU, together=False)
        command = [sys.executable, "manage.py", "shell", "-v", "0", "-c", code]
        return self.processes.start("placer", command, env={**self.env, "PGAPPNAME": "placer"})

    # Measurements

    def snapshot(self) -> Snapshot:
        running = "SELECT count(*) FROM orders_ordersaga WHERE state IN ('RUNNING', 'COMPENSATING')"
        return Snapshot(
            orders=Counter(dict(self.rows("orders", "SELECT status, count(*) FROM orders_order GROUP BY status"))),
            sagas_running=int(self.value("orders", running)),
            notifications=int(self.value("notifications", "SELECT count(*) FROM notifications_notification")),
            pending=self.total("SELECT count(*) FROM events_outboxdelivery WHERE delivered_at IS NULL"),
            unexpanded=self.total("SELECT count(*) FROM events_outboxevent WHERE expanded_at IS NULL"),
            dead=self.total("SELECT count(*) FROM events_deadletter WHERE replayed_at IS NULL"),
        )

    def wait_settled(self, expected_orders: int, *, timeout: float = 90) -> None:
        wait_for(
            lambda: self.snapshot().settled(expected_orders),
            timeout=timeout,
            what=f"{expected_orders} orders to settle",
            details=self.diagnostics,
        )

    def broker_backlog(self) -> dict[str, int]:
        """Messages in Redis: waiting in a queue (every list key), or taken and not yet acked."""
        client = self.redis.client()
        waiting = {key.decode(): cast(int, client.llen(key)) for key in client.scan_iter(_type="list")}
        return {k: n for k, n in {**waiting, "unacked": cast(int, client.hlen("unacked"))}.items() if n}

    def under_way(self) -> dict[str, int]:
        """What still has to happen, in the databases and in the broker (empty at rest)."""
        return {**restless(self.rows), **{f"redis: {key}": n for key, n in self.broker_backlog().items()}}

    def wait_at_rest(self, *, timeout: float = 90) -> None:
        """Until every saga is final and nothing is under way anywhere: no delivery, message,
        inbox entry or payment operation left (see ``reconcile.restless``), not even a duplicate
        still queued in Redis."""
        wait_for(
            lambda: not self.under_way(),
            timeout=timeout,
            what="the deployment to come to rest",
            details=lambda: f"under way: {self.under_way()}\n{self.diagnostics()}",
        )

    def reconcile(self) -> Reconciled:
        return assert_reconciled(self.rows, self.provider, details=self.diagnostics)

    def diagnostics(self) -> str:
        return f"{self.snapshot()}\n{self.processes.report()}"

    def task_outcomes(self) -> Counter[str]:
        """Outcomes of every ``events.deliver`` execution, from every worker's log (restarts too)."""
        logs = (p.log() for p in self.processes.started if p.name.startswith("worker"))
        return Counter(outcome for log in logs for outcome in _TASK_RESULT.findall(log))

    def claims(self) -> Counter[tuple[str, int]]:
        """(database, delivery id) -> how many times a relay claimed (so sent) it."""
        return Counter(
            {
                (module, delivery): count
                for module in MODULES
                for delivery, count in self.rows(module, "SELECT delivery_id, count(*) FROM fault_claim GROUP BY 1")
            }
        )

    def claimers(self) -> Counter[str]:
        return Counter(
            {
                claimer: count
                for module in MODULES
                for claimer, count in self.rows(module, "SELECT claimer, count(*) FROM fault_claim GROUP BY 1")
            }
        )

    def deliveries(self) -> int:
        return self.total("SELECT count(*) FROM events_outboxdelivery")

    def events_status(self) -> dict[str, dict[str, float]]:
        """``manage.py events status`` parsed: database -> column -> number."""
        lines = self.manage("events", "status").splitlines()
        header = ["lag", "new", "pending", "retrying", "dead"]
        return {
            fields[0]: dict(zip(header, map(float, fields[1:]), strict=True))
            for fields in (line.split() for line in lines[1:])
        }

    def assert_effects_exactly_once(self, expected_orders: int) -> None:
        """Every order confirmed once, its stock reserved once, its payment authorized and
        captured once, its two emails sent once, stock and money reconciled, and nothing left
        pending or dead in any outbox."""
        details = self.diagnostics()
        orders = dict(self.rows("orders", "SELECT id, status FROM orders_order"))
        assert len(orders) == expected_orders, details
        assert set(orders.values()) == {"CONFIRMED"}, Counter(orders.values())

        reservations = self.rows("inventory", "SELECT order_id, status FROM inventory_reservation")
        assert len(reservations) == expected_orders, f"{len(reservations)} reservations for {expected_orders} orders"
        assert {order for order, _ in reservations} == set(orders)
        assert {status for _, status in reservations} == {"RESERVED"}

        ordered = self.rows(
            "orders",
            "SELECT l.sku, sum(l.quantity) FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id "
            "WHERE o.status = 'CONFIRMED' GROUP BY l.sku",
        )
        reserved = self.rows("inventory", "SELECT sku, reserved FROM inventory_product WHERE reserved > 0")
        assert dict(reserved) == dict(ordered), "stock reserved differs from the confirmed orders' quantities"

        references = [r for (r,) in self.rows("notifications", "SELECT reference FROM notifications_notification")]
        expected = {f"orders.{event}:{order}" for order in orders for event in ("OrderPlacedV1", "OrderConfirmedV1")}
        assert len(references) == len(expected), f"{len(references)} notifications, expected {len(expected)}"
        assert set(references) == expected

        inbox = self.inbox()
        for subscriber in SUBSCRIBERS:
            assert inbox[subscriber] == (expected_orders, expected_orders), f"{subscriber}: {inbox[subscriber]}"
        for database, status in self.events_status().items():
            assert (status["new"], status["pending"], status["dead"]) == (0, 0, 0), f"{database}: {status}"

        payments = self.rows("payments", "SELECT order_id, status FROM payments_payment")
        assert len(payments) == expected_orders, f"{len(payments)} payments for {expected_orders} orders"
        assert dict(payments) == dict.fromkeys(orders, "CAPTURED"), Counter(status for _, status in payments)
        reconciled = self.reconcile()
        assert reconciled.authorizations == Counter(captured=expected_orders), reconciled

    def inbox(self) -> dict[str, tuple[int, int]]:
        """subscriber -> (inbox entries, processed entries), over every module database."""
        sql = "SELECT subscriber, count(*), count(processed_at) FROM events_inboxentry GROUP BY subscriber"
        return {s: (n, done) for module in MODULES for s, n, done in self.rows(module, sql)}


def manage(env: Mapping[str, str], *args: str) -> str:
    """Run ``manage.py``; its stdout, or a failed assertion with its output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=dict(env), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)[:200]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def shop_env(*, server: str, database: str, redis_url: str, tmp: Path) -> dict[str, str]:
    # Nothing of the caller's shell may redirect a database, a broker, a topology, the payment
    # provider, or an event, saga or payment knob.
    inherited = ("_DATABASE_URL", "EVENTS_", "CELERY_", "EMAIL_", "SERVICE", "TOPOLOGY_FILE", "PAYMENT", "SAGA_")
    env = {k: v for k, v in os.environ.items() if not any(part in k for part in inherited)}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "app.settings",
        "PYTHONUNBUFFERED": "1",  # logs and "relay: ..." lines reach the log files at once
        "DATABASE_URL": f"{server}/{database}",
        "VAR_DIR": str(tmp / "var"),
        "REDIS_URL": redis_url,
        "EVENTS_TRANSPORT": "celery",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp / "mail"),
        "LOG_LEVEL": "INFO",
        **FAST,
    }


@dataclass(frozen=True)
class ShopTemplate:
    """Databases built once per session by ``migrate``, ``load_demo_data`` and the seed snippet;
    each test gets its own copies (CREATE DATABASE ... TEMPLATE takes a fraction of a second,
    migrating takes seconds)."""

    server: str
    database: str

    def copy_to(self, database: str) -> None:
        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as admin:
            like = "SELECT datname FROM pg_database WHERE datname LIKE %s"
            for (name,) in admin.execute(like, [f"{self.database}%"]).fetchall():
                admin.execute(f'CREATE DATABASE "{database}{name[len(self.database) :]}" TEMPLATE "{name}"')


@contextmanager
def shop_template(*, server: str, tmp: Path) -> Iterator[ShopTemplate]:
    database = f"mm_ftt_{uuid.uuid4().hex[:8]}"
    env = shop_env(server=server, database=database, redis_url="redis://127.0.0.1:1/0", tmp=tmp)
    try:
        manage(env, "migrate")
        manage(env, "load_demo_data")
        manage(env, "shell", "-v", "0", "-c", SEED)
        for module in MODULES:
            with psycopg.connect(f"{server}/{database}_{module}", autocommit=True) as connection:
                connection.execute(CLAIM_AUDIT)
        yield ShopTemplate(server, database)
    finally:
        drop_databases(server, database)


@contextmanager
def deploy_shop(*, template: ShopTemplate, processes: Processes, redis: RedisServer, tmp: Path) -> Iterator[Shop]:
    """The shop on its own copy of the template databases, Redis and the payment provider up, no
    worker, relay or web yet. On the way out every process is stopped, then the databases are
    dropped."""
    database = f"mm_ft_{uuid.uuid4().hex[:8]}"
    env = shop_env(server=template.server, database=database, redis_url=redis.url(), tmp=tmp)
    try:
        provider = start_provider(processes, tmp)
        env["PAYMENT_PROVIDER_URL"] = provider.url
        template.copy_to(database)
        yield Shop(template.server, database, env, processes, redis, provider, tmp)
    finally:
        processes.stop_all()  # before dropping the databases they are connected to
        drop_databases(template.server, database)
