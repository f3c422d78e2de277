"""The integration tier: real PostgreSQL and real server processes on loopback.

When PostgreSQL is unreachable the tier is skipped with the reason, except under CI=true where
an unreachable service is a failure: CI must never go green by skipping the real thing.
"""

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_SERVER = os.environ.get("TEST_POSTGRES_SERVER", "postgres://postgres@127.0.0.1:5432")


def require(service: str, reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{service} is required under CI=true: {reason}")
    pytest.skip(f"{service} unreachable: {reason}")


@pytest.fixture(scope="session")
def postgres_server() -> str:
    try:
        psycopg.connect(f"{POSTGRES_SERVER}/postgres", connect_timeout=3).close()
    except psycopg.OperationalError as error:
        require("PostgreSQL", f"{POSTGRES_SERVER}: {error}".strip())
    return POSTGRES_SERVER


def drop_databases(server: str, prefix: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        names = [r[0] for r in admin.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{prefix}%"])]
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class Deployment:
    """One checkout deployed against its own set of PostgreSQL databases."""

    env: dict[str, str]
    database: str

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
    yield Deployment(env=env, database=database)
    drop_databases(postgres_server, database)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def gunicorn(deployment: Deployment, tmp_path: Path) -> Iterator[str]:
    """The app under gunicorn (2 sync workers) on a free loopback port; its base URL."""
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "app.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env=deployment.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def wait_until_healthy(base: str, process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise TimeoutError(f"{base} not healthy after {timeout}s")
