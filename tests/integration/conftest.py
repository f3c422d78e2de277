"""The integration tier: real PostgreSQL, Redis and server processes on loopback.

When PostgreSQL (or the redis-server binary) is unavailable the tier is skipped with the reason,
except under CI=true where an unavailable service is a failure: CI must never go green by
skipping the real thing. Process helpers live in ``processes.py``, the fake payment provider
process in ``provider.py``, stock and money reconciliation in ``reconcile.py``, the shop of the
event fault and saga tests in ``shop.py``.
"""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.integration.processes import ROOT, Processes, RedisServer, drop_databases, redis_binary_path, require
from tests.integration.processes import gunicorn as start_gunicorn
from tests.integration.provider import PaymentProvider, start_provider
from tests.integration.shop import Shop, ShopTemplate, deploy_shop, shop_template

__all__ = ["ROOT", "drop_databases", "require"]  # imported from here by other integration tests

POSTGRES_SERVER = os.environ.get("TEST_POSTGRES_SERVER", "postgres://postgres@127.0.0.1:5432")


@pytest.fixture(scope="session")
def postgres_server() -> str:
    try:
        psycopg.connect(f"{POSTGRES_SERVER}/postgres", connect_timeout=3).close()
    except psycopg.OperationalError as error:
        require("PostgreSQL", f"{POSTGRES_SERVER}: {error}".strip())
    return POSTGRES_SERVER


@dataclass(frozen=True)
class Deployment:
    """One checkout deployed against its own set of PostgreSQL databases."""

    env: dict[str, str]
    server: str
    database: str

    def rows(self, module: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(f"{self.server}/{self.database}_{module}", autocommit=True) as connection:
            return connection.execute(sql, params).fetchall()

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture
def deployment(postgres_server: str, tmp_path: Path) -> Iterator[Deployment]:
    database = f"mm_it_{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": f"{postgres_server}/{database}",
        "VAR_DIR": str(tmp_path / "var"),
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
    }
    yield Deployment(env=env, server=postgres_server, database=database)
    drop_databases(postgres_server, database)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    """Starts the test's processes (logs in tmp_path/logs) and stops every one of them afterwards."""
    started = Processes(logs=tmp_path / "logs")
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture(scope="session")
def redis_binary() -> str:
    return redis_binary_path()


@pytest.fixture
def redis_server(processes: Processes, redis_binary: str) -> RedisServer:
    """This test's own redis-server (never the shared one: tests kill and restart it)."""
    server = RedisServer(processes=processes, binary=redis_binary)
    server.start()
    return server


@pytest.fixture(scope="session")
def migrated_shop(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopTemplate]:
    with shop_template(server=postgres_server, tmp=tmp_path_factory.mktemp("shop-template")) as template:
        yield template


@pytest.fixture
def shop(
    migrated_shop: ShopTemplate, processes: Processes, redis_server: RedisServer, tmp_path: Path
) -> Iterator[Shop]:
    """The shop on its own databases and Redis, for the event fault tests (see shop.py)."""
    with deploy_shop(template=migrated_shop, processes=processes, redis=redis_server, tmp=tmp_path) as deployed:
        yield deployed


@pytest.fixture
def provider_process(deployment: Deployment, processes: Processes, tmp_path: Path) -> PaymentProvider:
    """The fake payment provider process, and the deployment pointed at it."""
    provider = start_provider(processes, tmp_path)
    deployment.env["PAYMENT_PROVIDER_URL"] = provider.url
    return provider


@pytest.fixture
def gunicorn(deployment: Deployment, processes: Processes, provider_process: PaymentProvider) -> str:
    """The app under gunicorn (2 sync workers) on a free loopback port, with its payment
    provider; its base URL."""
    return start_gunicorn(processes, deployment.env)
