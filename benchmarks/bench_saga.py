"""The order saga end to end, the project's headline figures: latency from ``POST /api/orders``
to CONFIRMED (p50, p99) on both transports, and the orders per second the monolith confirms
under a bounded concurrent load.

Two deployments, each with its own fake payment provider process, measured over HTTP only:
- in-process: the monolith under gunicorn (2 sync workers) on scratch SQLite databases; the saga
  runs inline after each commit, so the POST returns the confirmed order;
- Celery: the monolith under gunicorn on scratch PostgreSQL databases, a ``manage.py relay``, one
  Celery worker (prefork, 4 processes) on every module queue, and a redis-server of its own. The
  POST returns PENDING; the client polls ``GET /api/orders/{id}``.

Latency is measured one order at a time, from just before the POST (client clock) to the
``confirm_order`` step's ``finished_at`` (server clock: same machine). The baseline is the bare
ninja endpoint doing the order's inserts (``benchmarks/bare``), POSTed the same way in the same run.
Throughput: ``CLIENTS`` threads post orders for a fixed time, then every order must be confirmed
within a bounded wait; orders/s = confirmed orders / (last confirmation - first POST).
"""

import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks.bench_http import BODY, PASSWORD, USERNAME, _bare, _bare_database, authorization_for
from benchmarks.environment import ROOT, Config, process_env
from benchmarks.provider import payment_provider
from benchmarks.report import Figure
from benchmarks.servers import HOST, free_port, gunicorn, process_group, wait_for_log
from benchmarks.timing import percentile

POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES_SERVER", "postgres://postgres@127.0.0.1:5432")
CLIENTS = 8
FULL = {"latency_n": 150, "load_seconds": 10}
QUICK = {"latency_n": 25, "load_seconds": 3}
SETTLE_TIMEOUT = 120.0  # seconds for every order of a load run to be confirmed
SETUP = (
    "from django.contrib.auth import get_user_model; from modules.inventory.models import Product; "
    f"Product.objects.update(on_hand=10**9); get_user_model().objects.create_user('{USERNAME}', password='{PASSWORD}')"
)


def run(config: Config) -> tuple[Figure, ...]:
    params = QUICK if config.quick else FULL
    work = config.var_dir / "saga"
    work.mkdir()
    with _bare_server(config.var_dir, work) as bare:
        baseline = _bare_latencies(bare, params["latency_n"])
    results = {}
    for transport, deployment in (("in-process", _inprocess), ("Celery", _celery)):
        with deployment(work / transport) as url:
            results[transport] = _measure(url, params)
    return tuple(figure for transport, result in results.items() for figure in _figures(transport, result, baseline))


def _measure(url: str, params: dict[str, int]) -> dict[str, Any]:
    with httpx.Client(base_url=url, headers={"Authorization": authorization_for(url)}, timeout=30) as client:
        _order(client)  # warm-up: connections, caches
        latencies = [_order(client) for _ in range(params["latency_n"])]
    return {"latency_s": latencies, **_load(url, seconds=params["load_seconds"])}


# --- one order, and a load of them --------------------------------------------------------------


def _order(client: httpx.Client) -> float:
    """Seconds from the POST to the order's confirmation."""
    started = time.time()
    response = client.post("/api/orders", json=BODY)
    response.raise_for_status()
    return _confirmed_at(client, response.json()) - started


def _confirmed_at(client: httpx.Client, order: dict[str, Any], timeout: float = 30.0) -> float:
    deadline = time.monotonic() + timeout
    while order["status"] != "CONFIRMED":
        if order["status"] in ("REJECTED", "CANCELLED") or time.monotonic() > deadline:
            raise RuntimeError(f"order {order['id']} is {order['status']}, not CONFIRMED: {order['saga']}")
        time.sleep(0.002)
        order = client.get(f"/api/orders/{order['id']}").json()
    [step] = [s for s in order["saga"]["steps"] if s["name"] == "confirm_order"]
    return datetime.fromisoformat(step["finished_at"]).timestamp()


def _load(url: str, *, seconds: float) -> dict[str, Any]:
    authorization = authorization_for(url)
    placed: list[str] = []
    first_post = time.time()
    stop_at = time.monotonic() + seconds
    threads = [threading.Thread(target=_post_until, args=(url, authorization, stop_at, placed)) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with httpx.Client(base_url=url, headers={"Authorization": authorization}, timeout=30) as client:
        confirmed = [_confirmed_at(client, {"id": i, "status": "", "saga": {}}, SETTLE_TIMEOUT) for i in placed]
    return {"orders": len(placed), "first_post": first_post, "last_confirmed": max(confirmed)}


def _post_until(url: str, authorization: str, stop_at: float, placed: list[str]) -> None:
    with httpx.Client(base_url=url, headers={"Authorization": authorization}, timeout=30) as client:
        while time.monotonic() < stop_at:
            response = client.post("/api/orders", json=BODY)
            response.raise_for_status()
            placed.append(response.json()["id"])


# --- the bare baseline --------------------------------------------------------------------------


@contextmanager
def _bare_server(var_dir: Path, work: Path) -> Iterator[str]:
    with _bare(_bare_database(var_dir / "saga-bare"), work) as url:
        yield url


def _bare_latencies(url: str, n: int) -> list[float]:
    with httpx.Client(base_url=url, timeout=30) as client:
        client.post("/api/orders", json=BODY).raise_for_status()
        return [_timed_post(client) for _ in range(n)]


def _timed_post(client: httpx.Client) -> float:
    started = time.perf_counter()
    client.post("/api/orders", json=BODY).raise_for_status()
    return time.perf_counter() - started


# --- deployments ----------------------------------------------------------------------------------


@contextmanager
def _inprocess(work: Path) -> Iterator[str]:
    var_dir = work / "var"
    var_dir.mkdir(parents=True)
    with payment_provider(var_dir, work / "provider.log") as provider:
        env = process_env(var_dir, DJANGO_SETTINGS_MODULE="app.settings", PAYMENT_PROVIDER_URL=provider)
        _prepare(env, work)
        with gunicorn(wsgi="app.wsgi:application", env=env, log_path=work / "web.log", ready_path="/api/health") as url:
            yield url


@contextmanager
def _celery(work: Path) -> Iterator[str]:
    redis_binary = shutil.which("redis-server")
    if redis_binary is None:
        raise RuntimeError("no redis-server on PATH (apt-get install redis-server)")
    (work / "var").mkdir(parents=True)
    database, redis_port = f"mm_bench_saga_{uuid.uuid4().hex[:8]}", free_port()
    try:
        with ExitStack() as stack:
            provider = stack.enter_context(payment_provider(work / "var", work / "provider.log"))
            env = _celery_env(work / "var", database=database, redis_port=redis_port, provider=provider)
            stack.enter_context(_redis(redis_binary, redis_port, work))
            _prepare(env, work)
            stack.enter_context(_relay(env, work))
            stack.enter_context(_worker(env, work))
            yield stack.enter_context(
                gunicorn(wsgi="app.wsgi:application", env=env, log_path=work / "web.log", ready_path="/api/health")
            )
    finally:
        _drop_databases(database)


def _celery_env(var_dir: Path, *, database: str, redis_port: int, provider: str) -> dict[str, str]:
    return process_env(
        var_dir,
        DJANGO_SETTINGS_MODULE="app.settings",
        DATABASE_URL=f"{POSTGRES_SERVER}/{database}",
        REDIS_URL=f"redis://{HOST}:{redis_port}/0",
        EVENTS_TRANSPORT="celery",
        EVENTS_RELAY_IN_WEB="0",
        PAYMENT_PROVIDER_URL=provider,
        PYTHONUNBUFFERED="1",
    )


def _prepare(env: dict[str, str], work: Path) -> None:
    for args in (("migrate", "--verbosity", "0"), ("load_demo_data",), ("shell", "-c", SETUP)):
        with (work / "setup.log").open("ab") as log:
            command = [sys.executable, "manage.py", *args]
            subprocess.run(command, env=env, cwd=ROOT, check=True, timeout=180, stdout=log, stderr=subprocess.STDOUT)


@contextmanager
def _redis(binary: str, port: int, work: Path) -> Iterator[None]:
    command = [binary, "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(work)]
    with process_group(command, env=os.environ, log_path=work / "redis.log") as process:
        wait_for_log(process, work / "redis.log", "Ready to accept connections")
        yield


@contextmanager
def _relay(env: dict[str, str], work: Path) -> Iterator[None]:
    log_path = work / "relay.log"
    with process_group([sys.executable, "manage.py", "relay"], env=env, log_path=log_path) as process:
        wait_for_log(process, log_path, "relay: delivering from")
        yield


@contextmanager
def _worker(env: dict[str, str], work: Path) -> Iterator[None]:
    queues = "inventory,notifications,orders,payments"
    command = [sys.executable, "-m", "celery", "-A", "app", "worker", "-Q", queues, "--concurrency", "4"]
    log_path = work / "worker.log"
    with process_group([*command, "--loglevel", "info"], env=env, log_path=log_path) as process:
        wait_for_log(process, log_path, "ready.")
        yield


def _drop_databases(prefix: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as admin:
        names = [row[0] for row in admin.execute("SELECT datname FROM pg_database").fetchall()]
        for name in names:
            if name.startswith(prefix):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- figures ------------------------------------------------------------------------------------


def _figures(transport: str, result: dict[str, Any], baseline: list[float]) -> tuple[Figure, ...]:
    saga_ms = [v * 1e3 for v in result["latency_s"]]
    bare_ms = [v * 1e3 for v in baseline]
    elapsed = result["last_confirmed"] - result["first_post"]
    latency = tuple(
        Figure(
            name=f"order saga {transport}: POST -> CONFIRMED, {label}",
            unit="ms",
            value=percentile(saga_ms, fraction),
            baseline=percentile(bare_ms, fraction),
            lower_is_better=True,
            details={"samples": len(saga_ms), "max_ms": max(saga_ms)},
            notes=("baseline: the bare ninja endpoint's POST doing the order's inserts (no saga, no payment)",)
            if label == "p50"
            else (),
        )
        for label, fraction in (("p50", 0.5), ("p99", 0.99))
    )
    rate = result["orders"] / elapsed
    throughput = Figure(
        name=f"order saga {transport}: orders confirmed per second, {CLIENTS} clients",
        unit="/s",
        value=rate,
        baseline=1e3 / percentile(bare_ms, 0.5),
        lower_is_better=False,
        details={"orders": result["orders"], "seconds": round(elapsed, 2), "clients": CLIENTS},
        notes=(f"{transport}: {result['orders']} orders, all confirmed, in {elapsed:.1f} s",),
    )
    return (*latency, throughput)
