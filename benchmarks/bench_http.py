"""``POST /api/orders`` under gunicorn (2 sync workers) vs a bare ninja endpoint doing the same
inserts (``benchmarks/bare``). Both servers run side by side on loopback, each on its own
scratch database; after a warm-up each, they are measured in short turns (A B B A A B B A), so a
burst of unrelated load on the machine falls on both."""

import json
import subprocess
import sys
from collections import Counter
from contextlib import AbstractContextManager, ExitStack
from dataclasses import asdict
from functools import partial
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from django.contrib.auth import get_user_model
from django.db import connections

from benchmarks.environment import ROOT, Config, process_env
from benchmarks.loadgen import LoadResult, pick_tool, post_load
from benchmarks.provider import payment_provider
from benchmarks.report import Figure
from benchmarks.servers import gunicorn
from modules.inventory.models import Product
from modules.orders.models import Order

BODY = {
    "customer_email": "bench@example.com",
    "lines": [{"sku": "KB-001", "quantity": 1}, {"sku": "CB-004", "quantity": 2}],
}
HUGE_STOCK = 10**9  # so that every order of the run is confirmed
USERNAME, PASSWORD = "bench", "bench-pass-not-secret"


def run(config: Config) -> tuple[Figure, ...]:
    tool = pick_tool(config.loadgen)
    work = config.var_dir / "http"
    work.mkdir()
    body_file = work / "order.json"
    body_file.write_text(json.dumps(BODY))
    Product.objects.update(on_hand=HUGE_STOCK)
    get_user_model().objects.create_user(username=USERNAME, password=PASSWORD)
    connections.close_all()
    bare_dir = _bare_database(config.var_dir / "bare")
    with ExitStack() as stack:
        provider = stack.enter_context(payment_provider(config.var_dir, work / "provider.log"))
        urls = {
            "monolith": stack.enter_context(_monolith(config.var_dir, work, provider)),
            "bare": stack.enter_context(_bare(bare_dir, work)),
        }
        authorization = authorization_for(urls["monolith"])
        runs = measure_in_turns(urls, body_file, quick=config.quick, tool=tool, authorization=authorization)
    return (_figure(runs, statuses=_order_statuses(), authenticated=bool(authorization)),)


def _monolith(var_dir: Path, work: Path, provider: str) -> AbstractContextManager[str]:
    env = process_env(var_dir, DJANGO_SETTINGS_MODULE="app.settings", PAYMENT_PROVIDER_URL=provider)
    log_path = work / "monolith.log"
    return gunicorn(wsgi="app.wsgi:application", env=env, log_path=log_path, ready_path="/api/health")


def _bare(var_dir: Path, work: Path) -> AbstractContextManager[str]:
    env = process_env(var_dir, DJANGO_SETTINGS_MODULE="benchmarks.bare.settings")
    return gunicorn(
        wsgi="benchmarks.bare.wsgi:application", env=env, log_path=work / "bare.log", ready_path="/api/health"
    )


def _bare_database(var_dir: Path) -> Path:
    (var_dir / "db").mkdir(parents=True)
    env = process_env(var_dir, DJANGO_SETTINGS_MODULE="benchmarks.bare.settings")
    command = [sys.executable, "-m", "django", "migrate", "--run-syncdb", "--verbosity", "0"]
    subprocess.run(command, env=env, cwd=ROOT, check=True, timeout=120)
    return var_dir


def authorization_for(base_url: str) -> str:
    """A bearer token for the bench user when the API has a token endpoint, else ""."""
    body = json.dumps({"username": USERNAME, "password": PASSWORD}).encode()
    request = Request(f"{base_url}/api/auth/token", data=body, headers={"Content-Type": "application/json"})
    try:
        with urlopen(request, timeout=10) as response:
            return f"Bearer {json.load(response)['access_token']}"
    except HTTPError as error:
        if error.code == 404:  # no authentication in this version of the app
            return ""
        raise


def measure_in_turns(
    urls: dict[str, str], body_file: Path, *, quick: bool, tool: str, authorization: str, quick_rounds: int = 1
) -> dict[str, list[LoadResult]]:
    """Warm each server up, then measure them in turn, flipping the order every round."""
    seconds, warmup, rounds = (2, 1, quick_rounds) if quick else (5, 2, 4)  # 20 s per server, in 4 turns
    load = partial(post_load, body_file=body_file, tool=tool, authorization=authorization)
    for url in urls.values():
        load(url + "/api/orders", seconds=warmup)
    runs: dict[str, list[LoadResult]] = {name: [] for name in urls}
    for index in range(rounds):
        for name in list(urls) if index % 2 == 0 else reversed(list(urls)):
            runs[name].append(load(urls[name] + "/api/orders", seconds=seconds))
    return runs


def combine(results: list[LoadResult]) -> LoadResult:
    return LoadResult(
        tool=results[0].tool,
        requests=sum(r.requests for r in results),
        seconds=sum(r.seconds for r in results),
        non_2xx=sum(r.non_2xx for r in results),
        errors=sum(r.errors for r in results),
        p50_ms=sorted(r.p50_ms for r in results)[len(results) // 2],
        p99_ms=max(r.p99_ms for r in results),
    )


def _order_statuses() -> dict[str, int]:
    return dict(Counter(Order.objects.values_list("status", flat=True)))


def _figure(runs: dict[str, list[LoadResult]], *, statuses: dict[str, int], authenticated: bool) -> Figure:
    monolith, bare = combine(runs["monolith"]), combine(runs["bare"])
    rates = {name: [round(r.rate, 1) for r in results] for name, results in runs.items()}
    failures = monolith.non_2xx + monolith.errors + bare.non_2xx + bare.errors
    unconfirmed = sum(n for status, n in statuses.items() if status != "CONFIRMED")
    return Figure(
        name="POST /api/orders, gunicorn 2 sync workers",
        unit="req/s",
        value=monolith.rate,
        baseline=bare.rate,
        lower_is_better=False,
        target="0 non-2xx, all confirmed",
        met=failures == 0 and unconfirmed == 0,
        details={
            "monolith": asdict(monolith),
            "bare": asdict(bare),
            "rates_per_round": rates,
            "monolith_orders": statuses,
        },
        notes=(
            f"load: {monolith.tool}, {monolith.seconds:.0f} s per server; p50/p99 latency: "
            f"monolith {monolith.p50_ms:.1f}/{monolith.p99_ms:.1f} ms, "
            f"bare {bare.p50_ms:.1f}/{bare.p99_ms:.1f} ms",
            f"non-2xx: monolith {monolith.non_2xx}, bare {bare.non_2xx}; "
            f"no response: monolith {monolith.errors}, bare {bare.errors}",
            f"monolith orders by status after the run: {statuses}",
            "the monolith checks a bearer token on every request; the bare app has no authentication"
            if authenticated
            else "no authentication on either side",
        ),
    )
