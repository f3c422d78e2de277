"""A contract call in-process vs remote over loopback vs a bare HTTP round trip; and the gateway.

Like with like. Three servers on loopback, all alike: gunicorn, one gthread worker (two threads),
connections kept alive between requests, on the scratch SQLite databases:
- the inventory service: the project with ``SERVICE=inventory`` and a temporary topology in which
  inventory is its own service (``POST /internal/inventory/get_prices``);
- the monolith with inventory extracted (same topology, ``SERVICE=monolith``): its gateway
  proxies ``/api/inventory/...`` to the inventory service;
- the bare baseline (``benchmarks/bare``): ``POST /api/prices``, a ninja endpoint doing the same
  work: the same SELECT of products by sku on a copy of the same rows, the same three answered
  as JSON (and a 422 for an unknown sku).
Every HTTP variant reuses one kept-alive connection (checked before timing). The bare client is a
plain ``httpx.Client``: the project's tracing, set up in this process, instruments every httpx
client, and that is taken back off the bare one. The project side runs as deployed: tracing on
(no exporter), service credentials checked, context propagated, the resilience layer.

Measured one call at a time from this process, in interleaved rounds (the order flips every
round), each call timed on its own, p50 and p99:
- ``get_prices(3 skus)`` in-process: the registry's binding (the facade), as callers get it;
- the same through the remote binding, built as ``app.bootstrap`` builds it: the generic
  ``RemoteContract`` client with its resilience ``Target`` and a pooled ``httpx.Client``,
  observed like every bound contract;
- the bare round trip: a persistent ``httpx.Client`` POSTing the skus to the bare endpoint and
  decoding the JSON answer;
- ``GET /api/inventory/products`` through the monolith's gateway vs from the inventory service.
"""

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

from app.observability.calls import observe_contract
from app.remote.client import TRANSIENT, RemoteContract
from app.resilience import Policy, Targets
from benchmarks.environment import ROOT, Config, process_env
from benchmarks.report import Figure
from benchmarks.servers import HOST, free_port, gunicorn, tail
from benchmarks.timing import percentile
from contracts.inventory.interface import InventoryInterface
from contracts.kernel.registry import registry
from modules.inventory.models import Product

SKUS = ("KB-001", "MS-002", "MN-003")  # three products of the demo catalogue
TARGET_RATIO = 1.3  # the remote binding's p50 within this many times the bare round trip's
TOKEN = "benchmark-internal-token-not-a-secret"
# Every server alike: gunicorn, one gthread worker, connections kept alive between calls.
WORKERS, THREADS, KEEPALIVE = 1, 2, 30
LIKE_WITH_LIKE = (
    f"like with like: every server gunicorn, {WORKERS} gthread worker x {THREADS} threads, keep-alive {KEEPALIVE} s; "
    "every client one kept-alive connection (checked), the bare one plain httpx (not instrumented); "
    "the same SELECT of the same 3 rows answered as JSON; the project as deployed (tracing on, service token)"
)
TOPOLOGY = """
[services.monolith]
modules = ["*"]
url = "http://{host}:{monolith}"

[services.inventory]
modules = ["inventory"]
url = "http://{host}:{inventory}"
"""
SEED_BARE = """
import json, os, sys
import django
django.setup()
from django.core.management import call_command
from benchmarks.bare.models import BareProduct
call_command("migrate", run_syncdb=True, verbosity=0)
BareProduct.objects.bulk_create(BareProduct(**row) for row in json.loads(sys.stdin.read()))
"""


def run(config: Config) -> tuple[Figure, ...]:
    rounds, per_round = (2, 75) if config.quick else (8, 250)
    load_before = os.getloadavg()[0]
    work = config.var_dir / "remote"
    work.mkdir()
    ports = {"monolith": free_port(), "inventory": free_port()}
    topology = work / "topology.toml"
    topology.write_text(TOPOLOGY.format(host=HOST, **ports))
    bare_dir = _bare_database(config.var_dir / "bare-remote", work)
    with ExitStack() as stack:
        urls = {
            service: stack.enter_context(_service(config.var_dir, work, topology, service, port))
            for service, port in (("inventory", ports["inventory"]), ("monolith", ports["monolith"]))
        }
        bare_url = stack.enter_context(_bare(bare_dir, work))
        http = stack.enter_context(httpx.Client(timeout=10))
        HTTPXClientInstrumentor.uninstrument_client(http)  # a bare client; the project's own stays as deployed
        remote_http = stack.enter_context(
            httpx.Client(timeout=settings.REMOTE_TIMEOUT, limits=httpx.Limits(max_keepalive_connections=20))
        )
        calls = _calls(urls, bare_url, http, remote_http)
        _check_keepalive(calls, {"remote": remote_http, "bare": http, "gateway": http, "direct": http})
        latencies = _measure(calls, rounds=rounds, per_round=per_round)
    return _figures(latencies, load_before)


def _calls(
    urls: dict[str, str], bare_url: str, http: httpx.Client, remote_http: httpx.Client
) -> dict[str, Callable[[], Any]]:
    """Each variant as a no-argument call; checked to agree with the others before timing."""
    local = registry.resolve(InventoryInterface)
    remote = _remote_binding(urls["inventory"], remote_http)
    body = {"skus": list(SKUS)}
    products_via_gateway = f"{urls['monolith']}/api/inventory/products"
    products_direct = f"{urls['inventory']}/api/inventory/products"

    def bare() -> Any:
        response = http.post(f"{bare_url}/api/prices", json=body)
        response.raise_for_status()
        return response.json()

    def get(url: str) -> Callable[[], Any]:
        def call() -> bytes:
            response = http.get(url)
            response.raise_for_status()
            return response.content

        return call

    calls: dict[str, Callable[[], Any]] = {
        "in-process": lambda: local.get_prices(skus=SKUS),
        "remote": lambda: remote.get_prices(skus=SKUS),
        "bare": bare,
        "gateway": get(products_via_gateway),
        "direct": get(products_direct),
    }
    expected = [
        {"sku": p.sku, "name": p.name, "unit_price": str(p.unit_price), "available": p.available}
        for p in calls["in-process"]()
    ]
    if [_as_dict(p) for p in calls["remote"]()] != expected or calls["bare"]() != expected:
        raise RuntimeError(f"the variants disagree: {calls['remote']()} / {calls['bare']()} vs {expected}")
    if json.loads(calls["gateway"]()) != json.loads(calls["direct"]()):
        raise RuntimeError("the gateway's answer differs from the inventory service's")
    return calls


def _check_keepalive(calls: dict[str, Callable[[], Any]], clients: dict[str, httpx.Client]) -> None:
    """Each HTTP variant makes its calls on one connection, else the comparison is not fair."""
    for name, http in clients.items():
        used = _connections_used(calls[name], http, times=20)
        if used != 1:
            raise RuntimeError(f"{name}: 20 calls used {used} connections, not one kept alive")


def _connections_used(call: Callable[[], Any], http: httpx.Client, *, times: int) -> int:
    local_addresses: set[Any] = set()

    def seen(response: httpx.Response) -> None:
        local_addresses.add(response.extensions["network_stream"].get_extra_info("client_addr"))

    http.event_hooks["response"].append(seen)
    try:
        for _ in range(times):
            call()
    finally:
        http.event_hooks["response"].remove(seen)
    return len(local_addresses)


def _as_dict(price: Any) -> dict[str, Any]:
    return {"sku": price.sku, "name": price.name, "unit_price": str(price.unit_price), "available": price.available}


def _remote_binding(base_url: str, http: httpx.Client) -> Any:
    """``InventoryInterface`` bound remotely, as ``app.bootstrap`` binds a contract hosted elsewhere."""
    policy = Policy(
        timeout=settings.REMOTE_TIMEOUT,
        attempts=settings.REMOTE_ATTEMPTS,
        failures_to_open=settings.REMOTE_BREAKER_FAILURES,
        reset_after=settings.REMOTE_BREAKER_RESET,
    )
    client = RemoteContract(
        interface=InventoryInterface,
        module="inventory",
        base_url=base_url,
        token=TOKEN,
        target=Targets(policy, TRANSIENT).get("inventory"),
        http=http,
    )
    return observe_contract(client, interface=InventoryInterface, contract="inventory", binding="remote")


def _measure(calls: dict[str, Callable[[], Any]], *, rounds: int, per_round: int) -> dict[str, list[float]]:
    """Seconds per call, every call; the variants take turns, the order flipping every round."""
    for call in calls.values():  # warm-up: imports, connections, the servers' first requests
        for _ in range(max(5, per_round // 10)):
            call()
    names = list(calls)
    latencies: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            call, samples = calls[name], latencies[name]
            for _ in range(per_round):
                start = time.perf_counter()
                call()
                samples.append(time.perf_counter() - start)
    return latencies


def _figures(latencies: dict[str, list[float]], load_before: float) -> tuple[Figure, ...]:
    ms = {name: [v * 1e3 for v in values] for name, values in latencies.items()}
    p = {name: {"p50": percentile(v, 0.5), "p99": percentile(v, 0.99)} for name, v in ms.items()}
    details = {"calls_per_variant": len(ms["bare"]), "ms": p, "servers": LIKE_WITH_LIKE}
    remote_vs_bare = p["remote"]["p50"] / p["bare"]["p50"]
    return (
        Figure(
            name=f"get_prices({len(SKUS)} skus) remote vs bare httpx, p50",
            unit="ms",
            value=p["remote"]["p50"],
            baseline=p["bare"]["p50"],
            lower_is_better=True,
            target=f"ratio <= {TARGET_RATIO}x",
            met=remote_vs_bare <= TARGET_RATIO,
            details=details,
            notes=(
                f"get_prices p50/p99: in-process {_pair(p['in-process'])}, remote {_pair(p['remote'])}, "
                f"bare {_pair(p['bare'])} ms; remote/bare p99 {p['remote']['p99'] / p['bare']['p99']:.2f}x",
                LIKE_WITH_LIKE,
                f"load average (1 min) at the start / end: {load_before:.2f} / {os.getloadavg()[0]:.2f}",
            ),
        ),
        Figure(
            name=f"get_prices({len(SKUS)} skus) remote vs bare httpx, p99",
            unit="ms",
            value=p["remote"]["p99"],
            baseline=p["bare"]["p99"],
            lower_is_better=True,
            details=details,
        ),
        Figure(
            name=f"get_prices({len(SKUS)} skus) remote vs in-process, p50",
            unit="ms",
            value=p["remote"]["p50"],
            baseline=p["in-process"]["p50"],
            lower_is_better=True,
            details=details,
        ),
        Figure(
            name="GET /api/inventory/products via gateway vs direct, p50",
            unit="ms",
            value=p["gateway"]["p50"],
            baseline=p["direct"]["p50"],
            lower_is_better=True,
            details=details,
            notes=(
                f"gateway proxy overhead: p50 {p['gateway']['p50'] - p['direct']['p50']:+.2f} ms, "
                f"p99 {p['gateway']['p99'] - p['direct']['p99']:+.2f} ms",
            ),
        ),
        Figure(
            name="GET /api/inventory/products via gateway vs direct, p99",
            unit="ms",
            value=p["gateway"]["p99"],
            baseline=p["direct"]["p99"],
            lower_is_better=True,
            details=details,
        ),
    )


def _pair(values: dict[str, float]) -> str:
    return f"{values['p50']:.2f}/{values['p99']:.2f}"


# --- servers -----------------------------------------------------------------------------------


def _service(var_dir: Path, work: Path, topology: Path, service: str, port: int) -> Any:
    env = process_env(
        var_dir,
        DJANGO_SETTINGS_MODULE="app.settings",
        TOPOLOGY_FILE=str(topology),
        SERVICE=service,
        INTERNAL_API_TOKEN=TOKEN,
        EVENTS_RELAY_IN_WEB="0",  # nothing is published here; production runs `manage.py relay` anyway
    )
    log_path = work / f"{service}.log"
    return _gunicorn(wsgi="app.wsgi:application", env=env, log_path=log_path, ready_path="/api/health/live", port=port)


def _bare(var_dir: Path, work: Path) -> Any:
    env = process_env(var_dir, DJANGO_SETTINGS_MODULE="benchmarks.bare.settings")
    return _gunicorn(
        wsgi="benchmarks.bare.wsgi:application", env=env, log_path=work / "bare.log", ready_path="/api/health"
    )


def _gunicorn(*, wsgi: str, env: dict[str, str], log_path: Path, ready_path: str, port: int = 0) -> Any:
    """Every server of this benchmark alike: the same worker type and count, keep-alive on."""
    return gunicorn(
        wsgi=wsgi,
        env=env,
        log_path=log_path,
        ready_path=ready_path,
        port=port,
        workers=WORKERS,
        threads=THREADS,
        keepalive=KEEPALIVE,
    )


def _bare_database(var_dir: Path, work: Path) -> Path:
    """The bare app's database, with a copy of this run's product rows."""
    (var_dir / "db").mkdir(parents=True)
    rows = [
        {**row, "id": str(row["id"]), "unit_price": str(row["unit_price"])}
        for row in Product.objects.values("id", "sku", "name", "unit_price", "on_hand", "reserved")
    ]
    env = process_env(var_dir, DJANGO_SETTINGS_MODULE="benchmarks.bare.settings")
    done = subprocess.run(
        [sys.executable, "-c", SEED_BARE],
        input=json.dumps(rows),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode:
        (work / "bare-seed.log").write_text(done.stdout + done.stderr)
        raise RuntimeError(f"seeding the bare database failed:\n{tail(work / 'bare-seed.log')}")
    return var_dir
