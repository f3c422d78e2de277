"""Concurrent requests with one Idempotency-Key against gunicorn (2 processes x 4 threads) on
PostgreSQL, one database per module: the twins of the request that runs block on its key's row
until it commits, then replay its response. The SQLite variant is tests/app/idempotency/test_race.py."""

import psycopg
import pytest
from psycopg import sql

from tests.app.idempotency.race import (
    DEMO_ORDER,
    OTHER_ORDER,
    assert_one_execution,
    assert_one_execution_and_conflicts,
    demo_token,
    gunicorn_threaded,
    race,
)

pytestmark = pytest.mark.integration

ROUNDS = 3  # each with its own key


@pytest.fixture
def served(deployment, processes) -> str:
    for command in ("migrate", "load_demo_data"):
        result = deployment.manage(command)
        assert result.returncode == 0, result.stderr
    return gunicorn_threaded(processes, deployment.env)


def count(server: str, database: str, table: str) -> int:
    with psycopg.connect(f"{server}/{database}") as connection:
        row = connection.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
    assert row is not None
    return int(row[0])


def test_concurrent_identical_requests_create_one_order(served, deployment, postgres_server) -> None:
    token = demo_token(served)

    for round_ in range(ROUNDS):
        assert_one_execution(race(base_url=served, token=token, key=f"race-{round_}"))
        assert count(postgres_server, f"{deployment.database}_orders", "orders_order") == round_ + 1

    records = count(postgres_server, f"{deployment.database}_orders", "idempotency_idempotencyrecord")
    assert records == ROUNDS


def test_concurrent_different_requests_with_one_key_create_one_order(served, deployment, postgres_server) -> None:
    outcomes = race(base_url=served, token=demo_token(served), key="mixed", bodies=(DEMO_ORDER, OTHER_ORDER) * 4)

    assert_one_execution_and_conflicts(outcomes, key="mixed")
    assert count(postgres_server, f"{deployment.database}_orders", "orders_order") == 1
