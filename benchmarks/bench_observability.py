"""The cost of tracing on ``POST /api/orders`` under gunicorn (2 sync workers): the same app
served twice from the same scratch database, once with ``OTEL_SDK_DISABLED=true`` and once with
tracing on (every instrumentation and span recorded, no exporter: ``OTEL_TRACES_EXPORTER=none``,
so that no console or collector is measured). Both check a bearer token and write the same
structured logs (INFO, JSON, to the server's log file). After a warm-up each, they are measured
in short turns (A B B A ...), so a burst of unrelated load on the machine falls on both.
Target (issue 7): tracing on keeps at least 0.8x the requests per second of tracing off."""

import json
from collections import Counter
from contextlib import AbstractContextManager, ExitStack
from dataclasses import asdict
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connections

from benchmarks.bench_http import PASSWORD, USERNAME, authorization_for, combine, measure_in_turns
from benchmarks.environment import Config, process_env
from benchmarks.loadgen import LoadResult, pick_tool
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
TARGET_RATIO = 0.8
VARIANTS = {
    "tracing off": {"OTEL_SDK_DISABLED": "true"},
    "tracing on": {"OTEL_SDK_DISABLED": "false", "OTEL_TRACES_EXPORTER": "none"},
}


def run(config: Config) -> tuple[Figure, ...]:
    tool = pick_tool(config.loadgen)
    work = config.var_dir / "observability"
    work.mkdir()
    body_file = work / "order.json"
    body_file.write_text(json.dumps(BODY))
    Product.objects.update(on_hand=HUGE_STOCK)
    if not get_user_model().objects.filter(username=USERNAME).exists():  # bench_http may have made it
        get_user_model().objects.create_user(username=USERNAME, password=PASSWORD)
    connections.close_all()
    with ExitStack() as stack:
        provider = stack.enter_context(payment_provider(config.var_dir, work / "provider.log"))
        urls = {
            name: stack.enter_context(_server(config.var_dir, work, name, {**env, "PAYMENT_PROVIDER_URL": provider}))
            for name, env in VARIANTS.items()
        }
        authorization = authorization_for(urls["tracing off"])
        runs = measure_in_turns(
            urls, body_file, quick=config.quick, tool=tool, authorization=authorization, quick_rounds=2
        )
    return (_figure(runs),)


def _server(var_dir: Path, work: Path, name: str, extra: dict[str, str]) -> AbstractContextManager[str]:
    env = process_env(var_dir, DJANGO_SETTINGS_MODULE="app.settings", LOG_LEVEL="INFO", LOG_FORMAT="json", **extra)
    log_path = work / f"{name.replace(' ', '-')}.log"
    return gunicorn(wsgi="app.wsgi:application", env=env, log_path=log_path, ready_path="/api/health/live")


def _figure(runs: dict[str, list[LoadResult]]) -> Figure:
    off, on = combine(runs["tracing off"]), combine(runs["tracing on"])
    failures = off.non_2xx + off.errors + on.non_2xx + on.errors
    statuses = dict(Counter(Order.objects.values_list("status", flat=True)))
    ratio = on.rate / off.rate if off.rate else 0.0
    return Figure(
        name="POST /api/orders, tracing on vs off, gunicorn 2 sync workers",
        unit="req/s",
        value=on.rate,
        baseline=off.rate,
        lower_is_better=False,
        target=f"on >= {TARGET_RATIO}x off, 0 non-2xx",
        met=ratio >= TARGET_RATIO and failures == 0,
        details={
            "tracing_off": asdict(off),
            "tracing_on": asdict(on),
            "rates_per_round": {name: [round(r.rate, 1) for r in results] for name, results in runs.items()},
            "orders": statuses,
        },
        notes=(
            f"tracing on keeps {ratio:.2f}x the throughput of tracing off ({on.rate:.0f} vs {off.rate:.0f} req/s)",
            f"p50/p99 latency: on {on.p50_ms:.1f}/{on.p99_ms:.1f} ms, off {off.p50_ms:.1f}/{off.p99_ms:.1f} ms",
            f"non-2xx: on {on.non_2xx}, off {off.non_2xx}; no response: on {on.errors}, off {off.errors}",
            "both servers check a bearer token and log one JSON access line per request",
        ),
    )
