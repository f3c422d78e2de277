"""The extraction path end to end, with real processes (issue 4, DESIGN.md sections 4 and 7).

In a throwaway copy of the project, on PostgreSQL and a redis-server of its own, everything on
loopback ports chosen at run time, with a fake payment provider process (payments stays in the
monolith; every order's saga authorizes and captures through it):

1. ``scripts/extract_module.py inventory --port <p>`` (topology.toml and deploy/ of the copy);
   migrate and load the demo data of both services; start, per service, gunicorn, ``manage.py
   relay`` (events and periodic jobs) and a Celery worker on the queues ``manage.py topology
   --queues`` names.
2. Through the gateway (the monolith's port only): list products, log in, place orders; each
   saga completes, the order CONFIRMED and its two emails recorded; an order over the stock is
   REJECTED.
3. The inventory worker dies first: orders placed now wait, PENDING (the saga's ReserveStock
   command sits in the inventory queue). Then the whole inventory service dies: the gateway answers 502, then 503 fast
   once the breaker opens; placing an order answers 503 and creates nothing.
4. Inventory comes back: the breakers half-open and close, the waiting events are delivered, the
   orders are CONFIRMED; every effect happened exactly once (reservations, stock, payments,
   emails, inboxes) and stock and money reconcile.
5. ``--merge inventory``; every process stops, Redis too; the monolith alone (in-process events)
   serves the same data and the same flow.
"""

import time
import tomllib
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import drop_databases
from tests.integration.extraction_support import (
    DEMO_EMAIL,
    MODULES,
    SERVICES,
    CopyProcesses,
    Shopper,
    Stack,
    base_env,
    copy_project,
    set_service_url,
)
from tests.integration.processes import HOST, ROOT, Processes, RedisServer, free_port, wait_for
from tests.integration.provider import start_provider
from tests.integration.reconcile import Reconciled

pytestmark = pytest.mark.integration

# Demo catalogue (modules/inventory/demo.py): DK-005 has one unit, so two of them are over the stock.
BEFORE_OUTAGE = ({"KB-001": 1, "CB-004": 2}, {"MS-002": 3}, {"MN-003": 1, "CB-004": 1})
OVER_STOCK = {"DK-005": 2}
DURING_OUTAGE = ({"KB-001": 2}, {"MS-002": 1, "CB-004": 4}, {"MN-003": 2})
AFTER_RECOVERY = ({"CB-004": 3},)
AFTER_MERGE = ({"KB-001": 1, "MS-002": 1}, {"CB-004": 5})
FAST_ENOUGH = 0.5  # seconds: an answer from an open breaker
OPEN_STREAK = 6  # consecutive 503s that show every gunicorn worker's breaker is open


@dataclass
class Timeline:
    started: float = field(default_factory=time.monotonic)
    marks: list[tuple[str, float]] = field(default_factory=list)

    def mark(self, phase: str) -> None:
        self.marks.append((phase, time.monotonic()))

    def summary(self) -> str:
        previous, lines = self.started, []
        for phase, at in self.marks:
            lines.append(f"  {phase:<44} {at - previous:6.1f}s")
            previous = at
        return "\n".join([*lines, f"  {'total':<44} {previous - self.started:6.1f}s"])


@dataclass
class Ledger:
    """What the test placed: order id -> expected final status, and its lines."""

    status: dict[str, str] = field(default_factory=dict)
    lines: dict[str, dict[str, int]] = field(default_factory=dict)

    def place(self, shopper: Shopper, lines: dict[str, int], *, final: str = "CONFIRMED") -> str:
        order = shopper.place(lines)
        self.status[order], self.lines[order] = final, lines
        return order

    def confirmed_quantities(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for order, lines in self.lines.items():
            if self.status[order] == "CONFIRMED":
                total.update(lines)
        return total

    def expected_available(self, initial: dict[str, int]) -> dict[str, int]:
        taken = self.confirmed_quantities()
        return {sku: available - taken[sku] for sku, available in initial.items()}


@pytest.fixture
def stack(postgres_server: str, redis_server: RedisServer, processes: Processes, tmp_path: Path) -> Iterator[Stack]:
    root = copy_project(tmp_path / "project")
    ports = {"monolith": free_port()}
    ports["inventory"] = next(p for p in iter(free_port, None) if p != ports["monolith"])
    set_service_url(root / "topology.toml", "monolith", f"http://{HOST}:{ports['monolith']}")
    database = f"mm_ex_{uuid.uuid4().hex[:8]}"
    # The provider outlives the merge (the test's own Processes, not the copy's).
    provider = start_provider(processes, tmp_path)
    env = base_env(
        database_url=f"{postgres_server}/{database}",
        redis_url=redis_server.url(),
        provider_url=provider.url,
        var_dir=tmp_path / "var",
        mail_dir=tmp_path / "mail",
    )
    copy_processes = CopyProcesses(logs=tmp_path / "logs", cwd=root)
    try:
        yield Stack(
            root=root,
            env=env,
            server=postgres_server,
            database=database,
            processes=copy_processes,
            ports=ports,
            provider=provider,
        )
    finally:
        copy_processes.stop_all()  # before dropping the databases they are connected to
        drop_databases(postgres_server, database)


def test_extract_inventory_survive_its_outage_and_merge_it_back(stack: Stack, redis_server: RedisServer) -> None:
    timeline = Timeline()
    checkout_topology = (ROOT / "topology.toml").read_text()
    queues = extract_and_deploy(stack)
    timeline.mark("extract, migrate, demo data, start 6 processes")

    shopper = Shopper(base=stack.url("monolith"), stack=stack)
    ledger = Ledger()
    initial = shopper.products()
    direct = httpx.get(f"{stack.url('inventory')}/api/inventory/products", timeout=5).json()
    assert initial == {p["sku"]: p["available"] for p in direct}, "the gateway's answer differs from the service's"
    shopper.log_in()
    for lines in BEFORE_OUTAGE:
        ledger.place(shopper, lines)
    ledger.place(shopper, OVER_STOCK, final="REJECTED")
    assert shopper.wait_final(list(ledger.status)) == ledger.status
    assert_two_emails_per_order(shopper, ledger)
    timeline.mark("orders through the gateway")

    waiting = place_while_inventory_worker_is_down(stack, shopper, ledger, redis_server)
    timeline.mark("orders wait for the dead inventory worker")

    outage = inventory_outage(stack, shopper, ledger, redis_server, waiting=waiting)
    timeline.mark("inventory down: 502, then 503 from the breaker")

    recovery = inventory_recovery(stack, shopper, ledger, queues, redis_server, waiting=waiting)
    assert shopper.products() == ledger.expected_available(initial)
    stack.assert_exactly_once(ledger.status)
    timeline.mark("inventory back: waiting orders confirmed")

    reconciled = merged_monolith_alone(stack, ledger, initial, redis_server)
    timeline.mark("merged back: the monolith alone")
    assert (ROOT / "topology.toml").read_text() == checkout_topology, "the test changed the checkout, not its copy"

    print(f"\nextraction e2e timeline:\n{timeline.summary()}")
    print(f"gateway while inventory was down (status, seconds): {outage}")
    print(f"gateway while inventory came back (status, seconds since it was up): {recovery}")
    print("commands:\n  " + "\n  ".join(stack.commands_log))
    print(f"reconciled: {reconciled}")


def extract_and_deploy(stack: Stack) -> dict[str, tuple[str, ...]]:
    """Extract inventory in the copy, prepare both services' databases, start their processes."""
    stack.run("scripts/extract_module.py", "inventory", "--port", str(stack.ports["inventory"]))
    topology = tomllib.loads((stack.root / "topology.toml").read_text())
    assert topology["services"] == {
        "monolith": {"modules": ["*"], "url": stack.url("monolith")},
        "inventory": {"modules": ["inventory"], "url": stack.url("inventory")},
    }
    queues = {s: tuple(stack.manage("topology", "--queues", service=s).strip().split(",")) for s in SERVICES}
    assert queues == {"monolith": tuple(m for m in MODULES if m != "inventory"), "inventory": ("inventory",)}
    procfile = dict(
        line.split(": ", 1) for line in (stack.root / "deploy" / "Procfile").read_text().splitlines() if ": " in line
    )
    for service in SERVICES:  # what deploy/Procfile runs is what this test runs
        assert f"--bind {HOST}:{stack.ports[service]} " in procfile[f"{service}-web"], procfile
        assert f" -Q {','.join(queues[service])} " in procfile[f"{service}-worker"], procfile
        assert "manage.py relay" in procfile[f"{service}-relay"], procfile
    assert (stack.root / "deploy" / "inventory.env").exists()

    for service in SERVICES:  # one after the other: on PostgreSQL both services share the default database
        stack.manage("migrate", service=service)
        stack.manage("load_demo_data", service=service)
    databases = stack.rows("orders", "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{stack.database}%",))
    assert sorted(d for (d,) in databases) == sorted([stack.database, *(f"{stack.database}_{m}" for m in MODULES)])

    for service in SERVICES:
        stack.start_web(service)
        stack.start_relay(service)
        stack.start_worker(service, queues[service])
    for service in SERVICES:
        web = stack.running[service].web
        assert web is not None
        stack.wait_healthy(service, web)
    stack.processes.wait_ready()  # relays and workers log that they are ready
    return queues


def assert_two_emails_per_order(shopper: Shopper, ledger: Ledger) -> None:
    notifications = shopper.wait_notifications(2 * len(ledger.status))
    per_order = Counter(order for n in notifications for order in ledger.status if order in n["subject"])
    assert per_order == dict.fromkeys(ledger.status, 2), f"emails per order: {per_order}"


def place_while_inventory_worker_is_down(
    stack: Stack, shopper: Shopper, ledger: Ledger, redis_server: RedisServer
) -> list[str]:
    """Orders placed while nothing consumes the inventory queue: priced (the web is up), announced,
    their received emails sent (the monolith's worker is up), their OrderPlaced parked in Redis."""
    worker = stack.running["inventory"].worker
    assert worker is not None
    worker.kill()
    waiting = [ledger.place(shopper, lines) for lines in DURING_OUTAGE]
    queue = redis_server.client()
    wait_for(
        lambda: queue.llen("inventory") == len(waiting),
        timeout=15,
        what=f"{len(waiting)} OrderPlaced deliveries waiting in the inventory queue",
        details=lambda: f"llen {queue.llen('inventory')}, keys {queue.keys()}\n{stack.report()}",
    )
    shopper.wait_notifications(2 * len(ledger.status) - len(waiting))  # "received" for the waiting ones
    assert {shopper.status(order) for order in waiting} == {"PENDING"}
    return waiting


def inventory_outage(
    stack: Stack, shopper: Shopper, ledger: Ledger, redis_server: RedisServer, *, waiting: list[str]
) -> list[tuple[int, float]]:
    inventory = stack.running["inventory"]
    for process in inventory.all():
        if process.alive():
            process.kill()

    answers: list[tuple[int, float]] = []
    for _ in range(40):
        started = time.monotonic()
        response = shopper.http.get(f"{shopper.base}/api/inventory/products")
        answers.append((response.status_code, round(time.monotonic() - started, 3)))
        assert response.status_code in (502, 503), f"{response.status_code}: {response.text}\n{stack.report()}"
        assert response.json()["code"] == "upstream_unavailable", response.text
        if [status for status, _ in answers[-OPEN_STREAK:]] == [503] * OPEN_STREAK:
            break
    assert answers[0][0] == 502, f"the first call after the crash is unreachable: {answers}\n{stack.report()}"
    assert [s for s, _ in answers[-OPEN_STREAK:]] == [503] * OPEN_STREAK, (
        f"no breaker open: {answers}\n{stack.report()}"
    )
    slow = [(status, seconds) for status, seconds in answers if status == 503 and seconds >= FAST_ENOUGH]
    assert not slow, f"answers from an open breaker must be fast: {slow} of {answers}"

    orders_before = stack.value("orders", "SELECT count(*) FROM orders_order")
    for lines in BEFORE_OUTAGE[:2]:
        body = {"customer_email": DEMO_EMAIL, "lines": [{"sku": s, "quantity": q} for s, q in lines.items()]}
        started = time.monotonic()
        response = shopper.post("/api/orders", body)
        elapsed = time.monotonic() - started
        answer = shopper.expect(response, 503)
        assert answer["code"] == "dependency_unavailable", answer
        assert "inventory" in answer["detail"], answer
        assert elapsed < FAST_ENOUGH, f"placing an order took {elapsed:.2f}s with inventory down"
    assert stack.value("orders", "SELECT count(*) FROM orders_order") == orders_before, "a refused order was stored"
    assert len(shopper.notifications()) == 2 * len(ledger.status) - len(waiting)
    assert {shopper.status(order) for order in waiting} == {"PENDING"}
    assert redis_server.client().llen("inventory") == len(waiting)
    return answers


def inventory_recovery(
    stack: Stack,
    shopper: Shopper,
    ledger: Ledger,
    queues: dict[str, tuple[str, ...]],
    redis_server: RedisServer,
    *,
    waiting: list[str],
) -> list[tuple[int, float | None]]:
    web = stack.start_web("inventory")
    stack.start_relay("inventory")
    stack.start_worker("inventory", queues["inventory"])

    # The gateway is asked all along the restart. Each gunicorn worker of the monolith has its own
    # breaker: open, it answers 503 at once; after REMOTE_BREAKER_RESET seconds it lets one trial
    # call through (half-open), which fails and re-opens it while inventory is still down, and
    # closes it once inventory answers. So after inventory is up, the gateway needs at most about
    # REMOTE_BREAKER_RESET seconds to pass calls again, by itself, and never answers 502.
    polls: list[tuple[int, float | None]] = []  # (status, seconds since inventory was seen healthy)
    up_at: list[float] = []

    def recovered() -> bool:
        if not up_at and stack.healthy("inventory", web):
            up_at.append(time.monotonic())
        started = time.monotonic()
        response = shopper.http.get(f"{shopper.base}/api/inventory/products")
        polls.append((response.status_code, round(started - up_at[0], 2) if up_at else None))
        if response.status_code != 200:
            assert response.status_code in (502, 503), f"{response.status_code}: {response.text}\n{stack.report()}"
            assert response.json()["code"] == "upstream_unavailable", response.text
        since_up = [status for status, at in polls if at is not None]
        return since_up[-OPEN_STREAK:] == [200] * OPEN_STREAK

    wait_for(
        recovered, timeout=30, what="the gateway to reach inventory again", details=lambda: f"{polls}\n{stack.report()}"
    )
    after_up = [(status, at) for status, at in polls if at is not None]
    assert 502 not in {status for status, _ in after_up}, f"a breaker ignored inventory's return: {polls}"
    first_of_streak = after_up[-OPEN_STREAK][1]
    assert first_of_streak is not None
    reset = float(stack.env["REMOTE_BREAKER_RESET"])
    assert first_of_streak <= reset + 2, f"the breakers took {first_of_streak}s to close: {polls}\n{stack.report()}"
    stack.processes.wait_ready()  # inventory's relay and worker

    assert shopper.wait_final(waiting) == dict.fromkeys(waiting, "CONFIRMED")
    assert redis_server.client().llen("inventory") == 0
    for lines in AFTER_RECOVERY:
        order = ledger.place(shopper, lines)
        assert shopper.wait_final([order]) == {order: "CONFIRMED"}
    assert_two_emails_per_order(shopper, ledger)
    return polls


def merged_monolith_alone(
    stack: Stack, ledger: Ledger, initial: dict[str, int], redis_server: RedisServer
) -> Reconciled:
    # What the merge's next steps ask first: the relays have sent everything they hold.
    wait_for(
        lambda: set(stack.undelivered().values()) == {0},
        timeout=15,
        what="every outbox drained before the merge",
        details=lambda: f"{stack.undelivered()}\n{stack.report()}",
    )
    stack.run("scripts/extract_module.py", "--merge", "inventory")
    topology = tomllib.loads((stack.root / "topology.toml").read_text())
    assert topology["services"] == {"monolith": {"modules": ["*"], "url": stack.url("monolith")}}
    assert not (stack.root / "deploy" / "inventory.env").exists()
    assert "inventory-" not in (stack.root / "deploy" / "Procfile").read_text()

    for process in stack.processes.started:
        if process.alive():
            process.stop(grace=10)
    redis_server.kill()  # the merged monolith delivers in-process: it needs no broker

    web = stack.start_web("monolith", env={"SERVICE": "", "EVENTS_TRANSPORT": "inprocess", "EVENTS_RELAY_IN_WEB": "1"})
    stack.wait_healthy("monolith", web)
    ready = httpx.get(f"{stack.url('monolith')}/api/health/ready", timeout=5)
    assert ready.status_code == 200, f"{ready.text}\n{stack.report()}"

    shopper = Shopper(base=stack.url("monolith"), stack=stack)
    assert shopper.products() == ledger.expected_available(initial), "inventory's data did not survive the merge"
    shopper.log_in()
    for order, status in ledger.status.items():
        assert shopper.status(order) == status
    assert len(shopper.notifications()) == 2 * len(ledger.status)

    placed = [ledger.place(shopper, lines) for lines in AFTER_MERGE]
    placed.append(ledger.place(shopper, OVER_STOCK, final="REJECTED"))
    assert shopper.wait_final(placed) == {order: ledger.status[order] for order in placed}
    assert_two_emails_per_order(shopper, ledger)
    assert shopper.products() == ledger.expected_available(initial)
    reconciled = stack.assert_exactly_once(ledger.status)
    assert all(not p.alive() for p in stack.processes.started if p is not web), "only the monolith's web runs"
    return reconciled
