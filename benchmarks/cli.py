"""``python -m benchmarks [name ...] [--quick]``: run, print the table, write results.json."""

import argparse
import importlib
import os
import signal
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from benchmarks.environment import RESULTS_PATH, Config, django_setup, scratch_dir
from benchmarks.report import Outcome, all_met, table, write_json


@dataclass(frozen=True)
class Benchmark:
    module: str  # imported once Django is set up; has ``run(config) -> tuple[Figure, ...]``
    title: str


BENCHMARKS = {
    "contract": Benchmark("benchmarks.bench_contract", "in-process contract call vs direct facade call"),
    "events": Benchmark("benchmarks.bench_events", "event publish + in-process delivery, SQLite"),
    "http": Benchmark("benchmarks.bench_http", "POST /api/orders under gunicorn vs a bare ninja app"),
    "observability": Benchmark("benchmarks.bench_observability", "POST /api/orders, tracing on vs off"),
    "celery": Benchmark("benchmarks.bench_celery", "events via outbox, relay and Celery vs bare Celery, PostgreSQL"),
    "remote": Benchmark("benchmarks.bench_remote", "contract call in-process vs remote vs bare HTTP; gateway"),
    "saga": Benchmark("benchmarks.bench_saga", "order saga: POST -> CONFIRMED latency and orders/s, both transports"),
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list:
        print("\n".join(f"{name:10} {b.title}" for name, b in BENCHMARKS.items()))
        return 0
    names = args.names or list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        _parser().error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    signal.signal(signal.SIGTERM, _exit_on_sigterm)  # so that servers are stopped on SIGTERM too
    load_before = os.getloadavg()[0]
    with scratch_dir() as var_dir:
        django_setup(var_dir)
        config = Config(quick=args.quick, var_dir=var_dir, loadgen=args.loadgen)
        outcomes = {name: _run(name, config) for name in names}
    print(table(outcomes))
    load = {"loadavg_1min_before": load_before, "loadavg_1min_after": os.getloadavg()[0]}
    write_json(args.output, outcomes, quick=args.quick, extra={"selected": names, **load})
    print(f"\nresults: {args.output}")
    failed = any(outcome.error for outcome in outcomes.values())
    return 1 if failed or (args.strict and not all_met(outcomes)) else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    names = ", ".join(BENCHMARKS)
    parser.add_argument("names", nargs="*", metavar="name", help=f"any of: {names} (default: all)")
    parser.add_argument("--quick", action="store_true", help="short runs, for a smoke test")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH, help="where to write the JSON results")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto", help="HTTP load tool")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is not met")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    return parser


def _run(name: str, config: Config) -> Outcome:
    benchmark = BENCHMARKS[name]
    print(f"running {name}: {benchmark.title} ...", file=sys.stderr, flush=True)
    try:
        figures = importlib.import_module(benchmark.module).run(config)
    except Exception as exc:
        traceback.print_exc()
        return Outcome(title=benchmark.title, error=f"{type(exc).__name__}: {exc}")
    return Outcome(title=benchmark.title, figures=tuple(figures))


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)
