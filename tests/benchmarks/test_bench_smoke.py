"""`python -m benchmarks --quick` runs and reports positive figures. Targets are not checked:
a timing assertion would flake on a busy machine (a statement count is not timing: it is).

The Celery benchmark needs PostgreSQL and a redis-server binary (it starts its own server): it
is skipped with the reason when either is missing, except that PostgreSQL missing under
CI=true is a failure, like the integration tier."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
IN_PROCESS = ("contract", "events", "remote")  # need nothing outside this checkout
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES_SERVER", "postgres://postgres@127.0.0.1:5432")


def quick_run(output: Path, *names: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks", *names, "--quick", "--output", str(output)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(output.read_text())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return quick_run(tmp_path_factory.mktemp("bench") / "results.json", *IN_PROCESS)


@pytest.fixture(scope="module")
def celery_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if shutil.which("redis-server") is None:
        pytest.skip("no redis-server binary on PATH (apt-get install redis-server)")
    try:
        psycopg.connect(f"{POSTGRES_SERVER}/postgres", connect_timeout=3).close()
    except psycopg.OperationalError as error:
        reason = f"PostgreSQL unreachable at {POSTGRES_SERVER}: {error}".strip()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true: {reason}")
        pytest.skip(reason)
    return quick_run(tmp_path_factory.mktemp("bench-celery") / "results.json", "celery")


def test_the_quick_run_reports_what_it_ran(results: dict[str, Any]) -> None:
    assert results["meta"]["quick"] is True
    assert set(results["benchmarks"]) == set(IN_PROCESS)
    assert isinstance(results["all_targets_met"], bool)


def assert_positive_figures(outcome: dict[str, Any]) -> None:
    assert outcome["error"] is None
    assert outcome["figures"]
    for figure in outcome["figures"]:
        assert {"name", "unit", "value", "baseline", "ratio", "target", "met"} <= set(figure)
        assert figure["value"] > 0
        assert figure["baseline"] > 0
        assert figure["ratio"] > 0


@pytest.mark.parametrize("name", IN_PROCESS)
def test_each_figure_has_positive_numbers_and_a_baseline(results: dict[str, Any], name: str) -> None:
    assert_positive_figures(results["benchmarks"][name])


def test_the_event_rate_is_reported_with_its_target(results: dict[str, Any]) -> None:
    (figure,) = results["benchmarks"]["events"]["figures"]
    assert figure["details"]["events_per_s"] > 0
    assert figure["met"] in (True, False)


def test_the_remote_call_is_compared_with_the_bare_round_trip(results: dict[str, Any]) -> None:
    figures = {f["name"]: f for f in results["benchmarks"]["remote"]["figures"]}
    target = figures["get_prices(3 skus) remote vs bare httpx, p50"]
    assert target["met"] in (True, False)
    assert target["target"] == "ratio <= 1.3x"
    assert "GET /api/inventory/products via gateway vs direct, p50" in figures


def test_the_celery_benchmark_reports_every_figure(celery_results: dict[str, Any]) -> None:
    outcome = celery_results["benchmarks"]["celery"]
    assert_positive_figures(outcome)
    names = [f["name"] for f in outcome["figures"]]
    assert sum(name.startswith("events/s") for name in names) == 2
    assert sum(name.startswith("relay latency") for name in names) == 4


def test_publish_adds_exactly_one_insert_to_a_transaction(celery_results: dict[str, Any]) -> None:
    figures = {f["name"]: f for f in celery_results["benchmarks"]["celery"]["figures"]}
    statements = figures["publish(): SQL statements in a 1-INSERT tx"]
    assert statements["met"] is True, statements["details"]
