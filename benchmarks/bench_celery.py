"""Events through the Celery transport on PostgreSQL, against bare Celery on the same Redis.

Everything runs on a scratch set of PostgreSQL databases (created, migrated and dropped by the
run) and a redis-server of the run's own on a free loopback port (bare Celery on its database 1,
the project's events on 0). Processes: one bare worker (``benchmarks.bare_celery``), one events
worker (``benchmarks.events_worker``: the project's Celery app), both prefork with concurrency 2
and the project's settings (acks late, prefetch 1), and one ``manage.py relay``. The measuring
is done by ``benchmarks.celery_driver`` processes; see there for each method.

Figures:
- throughput: events/s through outbox -> relay -> Celery -> inbox -> handler, vs tasks/s of
  bare no-op tasks, both end to end (from the first publish to the last one processed), the
  same number of items in each, in five interleaved rounds, the median of each (on this kind of
  machine one round in several is off by 20% or more, and the speed of the machine drifts by as
  much within minutes: the per-round figures are in the details). The events are ``OrderConfirmedV1``
  published by a script, 100 per transaction; its one subscriber is
  ``notifications.order_confirmed``, once with its handler replaced by a no-op in the worker (the
  issue's figure) and once running for real;
- publish(): the statements it adds to a 1-INSERT transaction, and the time (Celery transport,
  relay stopped, so nothing is delivered in the timed transactions);
- relay latency from commit to handler start, p50 and p99: in-process (the inline drainer,
  measured to the handler's entry, against a bare 1-INSERT transaction) and Celery (measured to
  the consumer's attempt start, ``InboxEntry.created_at``: the inbox claim, made at the handler's
  first statement; against bare Celery's apply_async -> task start). The in-process phases run after the
  relay and the workers are stopped.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from subprocess import Popen
from typing import Any

from django.conf import settings

from benchmarks import bare_celery
from benchmarks.environment import ROOT, Config, process_env
from benchmarks.report import Figure
from benchmarks.servers import HOST, free_port, process_group, tail, terminate, wait_for_log
from benchmarks.timing import median, percentile

POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES_SERVER", "postgres://postgres@127.0.0.1:5432")
TARGET_SHARE = 0.5  # events/s at least this share of bare Celery's tasks/s
CONCURRENCY = 2
SUBSCRIBER = "notifications.order_confirmed"
HANDLER = (
    "notifications.order_confirmed's real handler: in one transaction on the notifications database, "
    "get_or_create one Notification row (a SELECT, then an INSERT in a savepoint), 'send' the email "
    "through Django's dummy backend (builds the message, sends nothing) and publish NotificationSentV1 "
    "(one outbox INSERT; no subscriber, so the relay only expands it)"
)
CONNECTION_PER_TASK = (
    "CELERY_DB_REUSE_MAX is not set: Celery's Django fixup closes every database connection before and "
    "after each task, so each delivery opens a new PostgreSQL connection"
)
FULL: dict[str, dict[str, Any]] = {
    "throughput": {"rounds": 5, "n": 1000, "warmup": 50},
    "celery-latency": {"n": 200, "gap": 0.01},
    "inprocess-latency": {"n": 300, "warmup": 20},
    "publish-cost": {"number": 200, "repeat": 7},
}
QUICK: dict[str, dict[str, Any]] = {
    "throughput": {"rounds": 1, "n": 100, "warmup": 10},
    "celery-latency": {"n": 30, "gap": 0.01},
    "inprocess-latency": {"n": 40, "warmup": 5},
    "publish-cost": {"number": 40, "repeat": 3},
}
DRIVER_TIMEOUT = 180  # seconds for one driver process; its own waits are bounded at 60 s


def run(config: Config) -> tuple[Figure, ...]:
    redis_binary = _requirements()
    params = QUICK if config.quick else FULL
    work = config.var_dir / "celery"
    (work / "var").mkdir(parents=True)
    database = f"mm_bench_{uuid.uuid4().hex[:8]}"
    redis_port = free_port()
    env = _env(work / "var", database=database, redis_port=redis_port)
    results: dict[str, dict[str, Any]] = {}
    try:
        with ExitStack() as stack:  # Redis, the workers and the relay: stopped before the in-process phases
            started = [
                stack.enter_context(_redis(redis_binary, redis_port, work)),
                stack.enter_context(_worker("bare", "benchmarks.bare_celery", "bare", env, work)),
                stack.enter_context(_worker("events", "benchmarks.events_worker", "notifications", env, work)),
            ]
            _manage(env, work, "migrate", "--verbosity", "0")  # while the workers start (they need no database yet)
            started.append(stack.enter_context(_relay(env, work)))
            results |= _drive(("throughput", "celery-latency"), params, env, work)
            for process in started[1:]:  # all at once, Redis aside: leaving the block waits for each
                terminate(process)  # (SIGKILL after a grace period), then stops Redis, last
        inline = {**env, "EVENTS_TRANSPORT": "inprocess", "EVENTS_RELAY_INLINE": "1"}
        results |= _drive(("inprocess-latency",), params, inline, work)
        results |= _drive(("publish-cost",), params, env, work)  # Celery transport, no relay: nothing delivered
    finally:
        _drop_databases(database)
    return (
        *_throughput(results["throughput"]),
        *_publish_cost(results["publish-cost"]),
        *_latency("in-process", results["inprocess-latency"], baseline="a bare 1-INSERT transaction"),
        *_latency("Celery", results["celery-latency"], baseline="bare Celery apply_async -> task start"),
    )


# --- figures -----------------------------------------------------------------------------------


def _throughput(result: dict[str, Any]) -> tuple[Figure, ...]:
    rates = {name: [result["n"][name] / s for s in seconds] for name, seconds in result["seconds"].items()}
    bare = median(rates["bare"])
    health = {"dead_letters": result["dead_letters"], "undelivered_after": result["undelivered"]}
    figures = []
    for name, label, what in (
        ("noop", "no-op handler", "the subscriber's handler replaced by a no-op in the worker"),
        ("handler", "real handler", HANDLER),
    ):
        rate = median(rates[name])
        figures.append(
            Figure(
                name=f"events/s outbox->relay->Celery->inbox, {label}",
                unit="/s",
                value=rate,
                baseline=bare,
                lower_is_better=False,
                target=f">= {TARGET_SHARE}x bare Celery tasks/s",
                met=rate >= TARGET_SHARE * bare and not any(health.values()),
                details={
                    "events_per_s_per_round": [round(r, 1) for r in rates[name]],
                    "bare_tasks_per_s_per_round": [round(r, 1) for r in rates["bare"]],
                    "n": result["n"],
                    "handler": what,
                    **health,
                },
                notes=(f"{label}: {what}; {rate / bare:.2f}x bare Celery's {bare:,.0f} tasks/s",),
            )
        )
    if not getattr(settings, "CELERY_DB_REUSE_MAX", None):
        figures[0] = replace(figures[0], notes=(*figures[0].notes, CONNECTION_PER_TASK))
    return tuple(figures)


def _publish_cost(result: dict[str, Any]) -> tuple[Figure, ...]:
    statements = result["statements"]
    inside = {name: s["in_transaction"] for name, s in statements.items()}
    extra = _added(inside["bare"], inside["publish"])
    after = _added(statements["bare"]["after_commit"], statements["publish"]["after_commit"])
    one_insert = len(extra) == 1 and extra[0].lstrip().upper().startswith("INSERT")
    samples = {name: [v * 1e6 for v in values] for name, values in result["samples_s"].items()}
    publish_us, bare_us = median(samples["publish"]), median(samples["bare"])
    return (
        Figure(
            name="publish(): SQL statements in a 1-INSERT tx",
            unit="stmts",
            value=len(inside["publish"]),
            baseline=len(inside["bare"]),
            lower_is_better=True,
            target="<= 1 extra INSERT",
            met=one_insert and not _added(inside["publish"], inside["bare"]),
            details={"statements": statements},
            notes=(
                "publish() adds inside the transaction: " + "; ".join(_short(sql) for sql in extra),
                "and after the commit: "
                + ("; ".join(_short(sql) for sql in after) or "nothing")
                + " (the relay's wake-up on PostgreSQL)",
            ),
        ),
        Figure(
            name="publish(): time of a 1-INSERT tx",
            unit="us/tx",
            value=publish_us,
            baseline=bare_us,
            lower_is_better=True,
            details={"samples_us": {name: [round(v, 1) for v in values] for name, values in samples.items()}},
            notes=(
                f"publish() adds {publish_us - bare_us:,.0f} us to a 1-INSERT transaction (Celery transport, no relay)",
            ),
        ),
    )


def _latency(transport: str, result: dict[str, Any], *, baseline: str) -> tuple[Figure, ...]:
    events = [v * 1e3 for v in result["events_s"]]
    bare = [v * 1e3 for v in result["bare_s"]]
    what = "commit -> handler start" if transport == "in-process" else "commit -> attempt start"
    details = {
        "samples": len(events),
        "events_ms": {"p50": percentile(events, 0.5), "p99": percentile(events, 0.99), "max": max(events)},
        "baseline": baseline,
        "baseline_ms": {"p50": percentile(bare, 0.5), "p99": percentile(bare, 0.99), "max": max(bare)},
    }
    return tuple(
        Figure(
            name=f"relay latency {transport}, {what}, {label}",
            unit="ms",
            value=percentile(events, fraction),
            baseline=percentile(bare, fraction),
            lower_is_better=True,
            details=details,
            notes=(f"{transport} latency baseline: {baseline}",) if label == "p50" else (),
        )
        for label, fraction in (("p50", 0.5), ("p99", 0.99))
    )


def _added(before: list[str], after: list[str]) -> list[str]:
    """The statements of ``after`` that ``before`` does not have (as a multiset), in order."""
    left = Counter(before)
    added = []
    for sql in after:
        if left[sql]:
            left[sql] -= 1
        else:
            added.append(sql)
    return added


def _short(sql: str, width: int = 90) -> str:
    return sql if len(sql) <= width else sql[: width - 3] + "..."


# --- processes and databases ---------------------------------------------------------------------


def _requirements() -> str:
    """The redis-server binary; fails early when it or PostgreSQL is missing, or when the bare
    baseline's Celery settings drift from the project's."""
    import psycopg

    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("no redis-server on PATH (apt-get install redis-server)")
    try:
        psycopg.connect(f"{POSTGRES_SERVER}/postgres", connect_timeout=3).close()
    except psycopg.OperationalError as error:
        raise RuntimeError(f"PostgreSQL unreachable at {POSTGRES_SERVER} (BENCH_POSTGRES_SERVER): {error}") from None
    project = {key: getattr(settings, f"CELERY_{key.upper()}") for key in bare_celery.CONFIG}
    if project != bare_celery.CONFIG:
        raise RuntimeError(f"benchmarks.bare_celery.CONFIG {bare_celery.CONFIG} differs from settings {project}")
    return binary


def _env(var_dir: Path, *, database: str, redis_port: int) -> dict[str, str]:
    inherited = {
        k: v
        for k, v in process_env(var_dir).items()
        if not k.startswith(("EVENTS_", "CELERY_", "BENCH_BARE_")) and k not in ("TOPOLOGY_FILE", "REDIS_URL")
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "app.settings",
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": f"{POSTGRES_SERVER}/{database}",
        "REDIS_URL": f"redis://{HOST}:{redis_port}/0",
        "BENCH_BARE_REDIS_URL": f"redis://{HOST}:{redis_port}/1",
        "EVENTS_TRANSPORT": "celery",
    }


def _manage(env: dict[str, str], work: Path, *args: str) -> None:
    log_path = work / f"manage-{args[0]}.log"
    with log_path.open("ab") as log:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, timeout=120
        )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} exited with {done.returncode}:\n{tail(log_path)}")


@contextmanager
def _redis(binary: str, port: int, work: Path) -> Iterator["Popen[bytes]"]:
    import redis

    command = [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no", "--daemonize", "no"]
    log_path = work / "redis.log"
    with process_group(command, env=os.environ, log_path=log_path) as process:
        wait_for_log(process, log_path, "Ready to accept connections", timeout=10)
        redis.Redis(host=HOST, port=port, socket_timeout=2).ping()
        yield process


@contextmanager
def _worker(name: str, app: str, queue: str, env: dict[str, str], work: Path) -> Iterator["Popen[bytes]"]:
    """A prefork worker with the project's settings; it is ready once it takes the warm-up."""
    command = [sys.executable, "-m", "celery", "-A", app, "worker", "--pool", "prefork", "-c", str(CONCURRENCY)]
    command += ["-Q", queue, "-n", f"bench-{name}@%h", "--loglevel", "WARNING"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    with process_group(command, env=env, log_path=work / f"worker-{name}.log") as process:
        yield process


@contextmanager
def _relay(env: dict[str, str], work: Path) -> Iterator["Popen[bytes]"]:
    log_path = work / "relay.log"
    with process_group([sys.executable, "manage.py", "relay"], env=env, log_path=log_path) as process:
        wait_for_log(process, log_path, "relay: delivering from", timeout=30)
        yield process


def _drive(
    phases: tuple[str, ...], params: dict[str, dict[str, Any]], env: dict[str, str], work: Path
) -> dict[str, Any]:
    """One ``benchmarks.celery_driver`` process running ``phases`` in order; {phase: its result}."""
    name = "+".join(phases)
    out = work / f"{name}.json"
    log_path = work / f"driver-{name}.log"
    command = [sys.executable, "-m", "benchmarks.celery_driver"]
    command += [json.dumps({phase: params[phase] for phase in phases}), str(out)]
    start = time.monotonic()
    with process_group(command, env=env, log_path=log_path) as process:
        try:
            code = process.wait(DRIVER_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"{name} did not finish in {DRIVER_TIMEOUT} s:\n{tail(log_path)}") from None
    if code:
        logs = "\n".join(f"--- {p.name}:\n{tail(p, 15)}" for p in sorted(work.glob("*.log")))
        raise RuntimeError(f"{name} exited with {code}:\n{logs}")
    result: dict[str, Any] = json.loads(out.read_text())
    print(f"  celery: {name} took {time.monotonic() - start:.1f} s", file=sys.stderr, flush=True)
    return result


def _drop_databases(base: str) -> None:
    import psycopg

    pattern = base.replace("_", r"\_") + r"\_%"
    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True, connect_timeout=5) as admin:
        rows = admin.execute("SELECT datname FROM pg_database WHERE datname = %s OR datname LIKE %s", [base, pattern])
        for (name,) in rows.fetchall():
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
