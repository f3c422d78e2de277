"""Concurrent identical requests with one key on SQLite files (one per module, WAL, BEGIN
IMMEDIATE): exactly one order, every response the same bytes. The PostgreSQL variant is
tests/integration/test_idempotency_race.py."""

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.idempotency.race import (
    DEMO_ORDER,
    OTHER_ORDER,
    assert_one_execution,
    assert_one_execution_and_conflicts,
    demo_token,
    gunicorn_threaded,
    race,
)
from tests.integration.processes import ROOT, Processes

ROUNDS = 3  # each with its own key


@pytest.fixture
def var(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def served(var: Path, tmp_path: Path) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")} | {"VAR_DIR": str(var)}
    for command in (["migrate"], ["load_demo_data"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
    processes = Processes(logs=tmp_path / "logs")
    try:
        yield gunicorn_threaded(processes, env)
    finally:
        processes.stop_all()


def orders(var: Path) -> int:
    with sqlite3.connect(var / "db" / "orders.sqlite3") as connection:
        (count,) = connection.execute("SELECT count(*) FROM orders_order").fetchone()
    return int(count)


def test_concurrent_identical_requests_create_one_order(served: str, var: Path) -> None:
    token = demo_token(served)

    for round_ in range(ROUNDS):
        assert_one_execution(race(base_url=served, token=token, key=f"race-{round_}"))
        assert orders(var) == round_ + 1


def test_concurrent_different_requests_with_one_key_create_one_order(served: str, var: Path) -> None:
    outcomes = race(base_url=served, token=demo_token(served), key="mixed", bodies=(DEMO_ORDER, OTHER_ORDER) * 4)

    assert_one_execution_and_conflicts(outcomes, key="mixed")
    assert orders(var) == 1
