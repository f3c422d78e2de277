"""Helpers for the extraction end-to-end test (test_extraction_e2e.py): a throwaway copy of the
project, its services' processes started from that copy, the gateway as a client sees it, and
the databases read directly for the exactly-once checks.

The processes come from ``processes.py`` (``celery_worker``, ``relay``, ``wait_for``...); the only
difference is where they run: ``CopyProcesses`` starts them with the copy as working directory,
so ``app``, ``modules``, ``topology.toml`` and ``deploy/`` are the copy's, never the checkout's.
"""

import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import tomlkit

from app.modules import discover_modules
from tests.integration.processes import HOST, ROOT, Process, Processes, celery_worker, relay, wait_for
from tests.integration.provider import PaymentProvider
from tests.integration.reconcile import Reconciled, assert_reconciled

# What a deployment of the project consists of: no .venv, var/, deploy/ or tests.
PROJECT_PARTS = (
    "app",
    "modules",
    "contracts",
    "scripts",
    "manage.py",
    "pyproject.toml",
    "requirements.lock",
    "topology.toml",
)
MODULES = tuple(spec.name for spec in discover_modules())  # a scaffolded module is copied too
SERVICES = ("monolith", "inventory")
FINAL_SAGA_STATES = ("COMPLETED", "COMPENSATED")
DEMO_USER = {"username": "demo", "password": "demo-pass-123"}
DEMO_EMAIL = "demo@example.com"

# Knobs that make failure and recovery take seconds. Breaker arithmetic (per gunicorn worker):
# a proxied GET is tried REMOTE_ATTEMPTS=2 times, so the first request after the inventory dies
# counts 2 failures and answers 502; the next one's first attempt is the 3rd failure, which opens
# the breaker (pybreaker raises "circuit open" on the failure that reaches the threshold): 503.
FAST = {
    "REMOTE_TIMEOUT": "1",
    "REMOTE_ATTEMPTS": "2",
    "REMOTE_BREAKER_FAILURES": "3",
    "REMOTE_BREAKER_RESET": "3",
    "EVENTS_POLL_INTERVAL": "0.2",
    "EVENTS_RETRY_BACKOFF": "0.2",
    "EVENTS_RETRY_BACKOFF_MAX": "2",
    "EVENTS_LEASE_SECONDS": "10",
    "CELERY_TASK_TIME_LIMIT": "20",
    "CELERY_VISIBILITY_TIMEOUT": "30",  # > the task time limit and the longest retry backoff (platform.E001)
    # Orders wait at reserve_stock for as long as inventory is down; the saga must not re-send
    # (the test counts the commands waiting in the inventory queue) nor give up meanwhile.
    "SAGA_STEP_TIMEOUT": "300",
    "SAGA_SWEEP_INTERVAL": "0.5",
    "PAYMENT_PROVIDER_TIMEOUT": "2",
    "PAYMENTS_JOB_INTERVAL": "0.5",
    "PAYMENTS_RETRY_INITIAL": "0.3",
    "PAYMENTS_RETRY_MAX": "2",
    "PAYMENTS_LEASE_SECONDS": "10",
}
# Nothing of the caller's environment may redirect a database, the broker, the topology, keys or knobs.
INHERITED_NOT = (
    "DATABASE_URL",
    "EVENTS_",
    "CELERY_",
    "EMAIL_",
    "REMOTE_",
    "REDIS_",
    "PAYMENT",
    "SAGA_",
    "SERVICE",
    "TOPOLOGY_FILE",
    "JWT_",
    "INTERNAL_API_TOKEN",
    "DJANGO_",
    "HEALTH_",
    "PYTHONPATH",
)


def copy_project(target: Path) -> Path:
    target.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=ignore)
        else:
            shutil.copy2(source, target / part)
    return target


def set_service_url(topology: Path, service: str, url: str) -> None:
    doc = tomlkit.parse(topology.read_text())
    doc["services"][service]["url"] = url
    topology.write_text(tomlkit.dumps(doc))


def base_env(*, database_url: str, redis_url: str, provider_url: str, var_dir: Path, mail_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not any(part in k for part in INHERITED_NOT)}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "app.settings",
        "DJANGO_DEBUG": "1",  # the development JWT key is generated into VAR_DIR, shared by every process
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PAYMENT_PROVIDER_URL": provider_url,
        "VAR_DIR": str(var_dir),
        "EVENTS_TRANSPORT": "celery",
        "INTERNAL_API_TOKEN": f"e2e-{os.getpid()}-{time.time_ns()}",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "LOG_LEVEL": "INFO",
        **FAST,
    }


@dataclass
class CopyProcesses(Processes):
    """``Processes`` whose commands run in ``cwd`` (the project copy) instead of the checkout."""

    cwd: Path = ROOT

    def start(self, name: str, command: list[str], *, env: Mapping[str, str], ready_line: str = "") -> Process:
        self.logs.mkdir(parents=True, exist_ok=True)
        log_path = self.logs / f"{name}.{sum(p.name == name for p in self.started) + 1}.log"
        with log_path.open("ab") as log:
            popen = subprocess.Popen(
                command, cwd=self.cwd, env=dict(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        process = Process(name=name, popen=popen, log_path=log_path, ready_line=ready_line)
        self.started.append(process)
        return process


@dataclass
class ServiceProcesses:
    web: Process | None = None
    relay: Process | None = None
    worker: Process | None = None

    def all(self) -> list[Process]:
        return [p for p in (self.web, self.relay, self.worker) if p is not None]


@dataclass
class Stack:
    """The copy, its environment and databases, and the processes of each service."""

    root: Path
    env: dict[str, str]
    server: str
    database: str
    processes: CopyProcesses
    ports: dict[str, int]
    provider: PaymentProvider
    running: dict[str, ServiceProcesses] = field(default_factory=dict)
    commands_log: list[str] = field(default_factory=list)

    def url(self, service: str) -> str:
        return f"http://{HOST}:{self.ports[service]}"

    def service_env(self, service: str | None, **overrides: str) -> dict[str, str]:
        env = dict(self.env)
        if service is not None:
            env["SERVICE"] = service
        return {**env, **overrides}

    # Commands (run to completion in the copy)

    def run(self, *args: str, service: str | None = None, env: Mapping[str, str] | None = None) -> str:
        """``python <args>`` in the copy; its stdout, or a failed assertion with its output."""
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, *args],
            cwd=self.root,
            env={**self.service_env(service), **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.commands_log.append(f"{time.monotonic() - started:5.1f}s SERVICE={service} {' '.join(args)}")
        assert result.returncode == 0, (
            f"`{' '.join(args)}` (SERVICE={service}) exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
        return result.stdout

    def manage(self, *args: str, service: str | None = None) -> str:
        return self.run("manage.py", *args, service=service)

    # Processes

    def start_web(self, service: str, *, workers: int = 2, env: Mapping[str, str] | None = None) -> Process:
        """gunicorn on the service's port from the topology (as deploy/Procfile runs it); not yet healthy."""
        command = [sys.executable, "-m", "gunicorn", "app.wsgi", "--bind", f"{HOST}:{self.ports[service]}"]
        command += ["--workers", str(workers), "--timeout", "30", "--graceful-timeout", "5"]
        settings = {**self.service_env(service), "EVENTS_RELAY_IN_WEB": "0", **(env or {})}
        process = self.processes.start(f"{service}-web", command, env=settings)
        self.running.setdefault(service, ServiceProcesses()).web = process
        return process

    def healthy(self, service: str, process: Process) -> bool:
        """The service's gunicorn answers its health check (an AssertionError if it exited)."""
        if not process.alive():
            raise AssertionError(f"{process.name} exited with {process.popen.returncode}:\n{process.tail()}")
        try:
            return httpx.get(f"{self.url(service)}/api/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def wait_healthy(self, service: str, process: Process, *, timeout: float = 30) -> None:
        wait_for(
            lambda: self.healthy(service, process),
            timeout=timeout,
            what=f"{service} healthy at {self.url(service)}",
            details=self.report,
        )

    def start_relay(self, service: str) -> Process:
        process = relay(self.processes, self.service_env(service), name=f"{service}-relay", wait=False)
        self.running.setdefault(service, ServiceProcesses()).relay = process
        return process

    def start_worker(self, service: str, queues: tuple[str, ...]) -> Process:
        env = self.service_env(service)
        process = celery_worker(self.processes, env, name=f"{service}-worker", queues=queues, wait=False)
        self.running.setdefault(service, ServiceProcesses()).worker = process
        return process

    def report(self) -> str:
        commands = "\n".join(self.commands_log[-10:])
        return f"--- commands run in {self.root}:\n{commands}\n{self.processes.report(30)}"

    # Databases, read directly

    def dsn(self, module: str | None = None) -> str:
        return f"{self.server}/{self.database}_{module}" if module else f"{self.server}/{self.database}"

    def rows(self, module: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.dsn(module), autocommit=True, connect_timeout=5) as connection:
            return connection.execute(sql, params).fetchall()

    def value(self, module: str, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.rows(module, sql, params)[0][0]

    def undelivered(self) -> dict[str, int]:
        """Per module database: outbox events not yet expanded plus deliveries not yet sent."""
        sql = (
            "SELECT (SELECT count(*) FROM events_outboxevent WHERE expanded_at IS NULL)"
            " + (SELECT count(*) FROM events_outboxdelivery WHERE delivered_at IS NULL)"
        )
        return {module: int(self.value(module, sql)) for module in MODULES}

    def dead_letters(self) -> int:
        return sum(int(self.value(m, "SELECT count(*) FROM events_deadletter")) for m in MODULES)

    def emails_sent(self) -> int:
        """Messages written by the file-based email backend (one file per connection, one message each)."""
        folder = Path(self.env["EMAIL_FILE_PATH"])
        files = folder.glob("*.log") if folder.is_dir() else ()
        return sum(path.read_text(errors="replace").count("\nSubject: ") for path in files)

    def assert_exactly_once(self, expected: Mapping[str, str]) -> Reconciled:
        """``expected``: order id -> final status (CONFIRMED, or REJECTED for lack of stock).
        Every order has one reservation whose status matches, stock reserved equals the confirmed
        quantities, each confirmed order's payment was authorized and captured once, two emails
        per order and the inbox handled each event and command once; nothing pending or dead in
        any outbox; stock and money reconcile."""
        details = self.report()
        orders = {str(i): s for i, s in self.rows("orders", "SELECT id, status FROM orders_order")}
        assert orders == dict(expected), f"orders in the database differ from those placed:\n{orders}\n{details}"

        reservations = self.rows("inventory", "SELECT order_id::text, status FROM inventory_reservation")
        per_order = Counter(order for order, _ in reservations)
        assert set(per_order) == set(orders), f"reservations for {sorted(per_order)}, orders {sorted(orders)}"
        assert set(per_order.values()) == {1}, f"more than one reservation for an order: {per_order}"
        wanted = {"CONFIRMED": "RESERVED", "REJECTED": "FAILED"}
        assert {o: wanted[s] for o, s in orders.items()} == dict(reservations), "a reservation's status is wrong"

        confirmed = self.rows(
            "orders",
            "SELECT l.sku, sum(l.quantity) FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id "
            "WHERE o.status = 'CONFIRMED' GROUP BY l.sku",
        )
        reserved = self.rows("inventory", "SELECT sku, reserved FROM inventory_product WHERE reserved > 0")
        assert dict(reserved) == dict(confirmed), f"stock reserved {reserved} != confirmed quantities {confirmed}"

        references = Counter(
            r for (r,) in self.rows("notifications", "SELECT reference FROM notifications_notification")
        )
        second = {"CONFIRMED": "OrderConfirmedV1", "REJECTED": "OrderRejectedV1"}
        emails = {f"orders.OrderPlacedV1:{o}" for o in orders} | {f"orders.{second[s]}:{o}" for o, s in orders.items()}
        assert set(references) == emails, f"notifications {sorted(references)} != expected {sorted(emails)}"
        assert set(references.values()) == {1}, f"a notification recorded twice: {references}"
        assert self.emails_sent() == len(emails), f"{self.emails_sent()} emails written, expected {len(emails)}"

        inbox = "SELECT subscriber, count(*), count(processed_at), count(DISTINCT event_id) FROM events_inboxentry"
        handled = {
            s: (n, done, distinct) for m in MODULES for s, n, done, distinct in self.rows(m, f"{inbox} GROUP BY 1")
        }
        count = Counter(orders.values())
        per_subscriber = {  # the saga never had to ask a step twice here (SAGA_STEP_TIMEOUT)
            "notifications.order_received": len(orders),
            "inventory.reserve_stock": len(orders),
            "orders.saga_stock_reserved": count["CONFIRMED"],
            "orders.saga_stock_refused": count["REJECTED"],
            "payments.authorize": count["CONFIRMED"],
            "orders.saga_payment_authorized": count["CONFIRMED"],
            "payments.capture": count["CONFIRMED"],
            "orders.saga_payment_captured": count["CONFIRMED"],
            "notifications.order_confirmed": count["CONFIRMED"],
            "notifications.order_rejected": count["REJECTED"],
        }
        for subscriber, n in per_subscriber.items():
            assert handled.get(subscriber, (0, 0, 0)) == (n, n, n), f"{subscriber}: inbox {handled.get(subscriber)}"
        assert set(handled) <= set(per_subscriber), f"unexpected deliveries: {set(handled) - set(per_subscriber)}"
        assert self.undelivered() == dict.fromkeys(MODULES, 0), f"outboxes not drained: {self.undelivered()}"
        assert self.dead_letters() == 0, f"{self.dead_letters()} dead letters\n{details}"
        reconciled = assert_reconciled(self.rows, self.provider, details=self.report)
        assert reconciled.authorizations == Counter(captured=count["CONFIRMED"]), reconciled
        return reconciled


@dataclass
class Shopper:
    """The demo customer, talking to the public API at ``base`` (the monolith, i.e. the gateway)."""

    base: str
    stack: Stack
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))
    token: str = ""

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(f"{self.base}{path}", headers=self._auth(), **kwargs)

    def post(self, path: str, body: Any) -> httpx.Response:
        return self.http.post(f"{self.base}{path}", json=body, headers=self._auth())

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def expect(self, response: httpx.Response, status: int) -> Any:
        assert response.status_code == status, (
            f"{response.request.method} {response.request.url} answered {response.status_code}, not {status}: "
            f"{response.text[:500]}\n{self.stack.report()}"
        )
        return response.json()

    def log_in(self) -> None:
        self.token = ""
        answer = self.expect(self.http.post(f"{self.base}/api/auth/token", json=DEMO_USER), 200)
        self.token = answer["access_token"]

    def products(self) -> dict[str, int]:
        """sku -> available, public (no token)."""
        answer = self.expect(self.http.get(f"{self.base}/api/inventory/products"), 200)
        return {p["sku"]: p["available"] for p in answer}

    def place(self, lines: dict[str, int]) -> str:
        body = {"customer_email": DEMO_EMAIL, "lines": [{"sku": s, "quantity": q} for s, q in lines.items()]}
        return str(self.expect(self.post("/api/orders", body), 201)["id"])

    def order(self, order_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.expect(self.get(f"/api/orders/{order_id}"), 200)
        return answer

    def status(self, order_id: str) -> str:
        return str(self.order(order_id)["status"])

    def wait_final(self, order_ids: list[str], *, timeout: float = 30) -> dict[str, str]:
        """Until every order's saga is final (COMPLETED or COMPENSATED); order id -> status."""
        seen: dict[str, tuple[str, str]] = {}

        def final() -> bool:
            for order_id in order_ids:
                if seen.get(order_id, ("", ""))[1] not in FINAL_SAGA_STATES:
                    answer = self.order(order_id)
                    seen[order_id] = (answer["status"], answer["saga"]["state"])
            return all(state in FINAL_SAGA_STATES for _, state in seen.values())

        wait_for(final, timeout=timeout, what=f"{len(order_ids)} sagas to end", details=self._stuck(seen))
        return {order_id: status for order_id, (status, _) in seen.items()}

    def _stuck(self, seen: dict[str, tuple[str, str]]) -> Any:
        return lambda: f"statuses {seen}\nundelivered {self.stack.undelivered()}\n{self.stack.report()}"

    def notifications(self) -> list[dict[str, Any]]:
        answer = self.expect(self.get("/api/notifications", params={"recipient": DEMO_EMAIL}), 200)
        assert isinstance(answer, list)
        return answer

    def wait_notifications(self, count: int, *, timeout: float = 30) -> list[dict[str, Any]]:
        wait_for(
            lambda: len(self.notifications()) >= count,
            timeout=timeout,
            what=f"{count} notifications for {DEMO_EMAIL}",
            details=lambda: f"{len(self.notifications())} so far\n{self.stack.report()}",
        )
        found = self.notifications()
        assert len(found) == count, f"{len(found)} notifications, expected {count}\n{self.stack.report()}"
        return found
