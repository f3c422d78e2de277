"""A real race: N identical requests with one Idempotency-Key, released together from N threads
against a multi-threaded, multi-process gunicorn on loopback. Shared by the SQLite race here and
the PostgreSQL one in tests/integration."""

import json
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from tests.integration.processes import HOST, Processes, free_port, wait_for

DEMO_LOGIN = {"username": "demo", "password": "demo-pass-123"}  # seeded by load_demo_data
DEMO_ORDER = {"customer_email": "demo@example.com", "lines": [{"sku": "KB-001", "quantity": 1}]}
OTHER_ORDER = {"customer_email": "demo@example.com", "lines": [{"sku": "KB-001", "quantity": 2}]}


@dataclass(frozen=True)
class Outcome:
    status: int
    body: bytes
    replayed: bool
    started: float  # time.monotonic() when the request was sent
    finished: float


def gunicorn_threaded(processes: Processes, env: Mapping[str, str], *, workers: int = 2, threads: int = 4) -> str:
    """The app under gunicorn with ``workers`` processes of ``threads`` threads: requests race
    across processes and across threads of one process. Its base URL once healthy."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "app.wsgi", "--bind", f"{HOST}:{port}", "--timeout", "30"]
    command += ["--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads)]
    process = processes.start("gunicorn", command, env=env)
    base = f"http://{HOST}:{port}"

    def healthy() -> bool:
        if not process.alive():
            raise AssertionError(f"gunicorn exited with {process.popen.returncode}:\n{process.tail()}")
        try:
            return httpx.get(f"{base}/api/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(healthy, timeout=60, what=f"{base} healthy", details=process.tail)  # slow under load
    return base


def demo_token(base_url: str) -> str:
    response = httpx.post(f"{base_url}/api/auth/token", json=DEMO_LOGIN, timeout=10)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def race(*, base_url: str, token: str, key: str, bodies: Sequence[Any] = (DEMO_ORDER,) * 8) -> list[Outcome]:
    """One request per body, from one thread each: every thread opens its connection first, then
    all send at once (a barrier)."""
    barrier = threading.Barrier(len(bodies))
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}

    def one(body: Any) -> Outcome:
        with httpx.Client(base_url=base_url, timeout=30) as http:
            http.get("/api/health")  # the connection is open (keep-alive) before the start
            barrier.wait(timeout=30)
            started = time.monotonic()
            response = http.post("/api/orders", json=body, headers=headers)
            finished = time.monotonic()
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        return Outcome(response.status_code, response.content, replayed, started, finished)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(one, bodies))


def assert_overlapping(outcomes: list[Outcome]) -> None:
    """Every request was sent while the one that ran was still in flight. (Its twins often answer
    before it does: it goes on delivering its events in-process after its commit.)"""
    (ran,) = [o for o in outcomes if o.status == 201 and not o.replayed]
    assert max(o.started for o in outcomes) < ran.finished, "the requests did not overlap: no race was run"


def assert_one_execution(outcomes: list[Outcome]) -> None:
    """Exactly one of the requests ran, and every answer is its bytes."""
    assert {o.status for o in outcomes} == {201}, [(o.status, o.body[:200]) for o in outcomes]
    assert len({o.body for o in outcomes}) == 1
    assert sorted(o.replayed for o in outcomes) == [False] + [True] * (len(outcomes) - 1)
    assert_overlapping(outcomes)


def assert_one_execution_and_conflicts(outcomes: list[Outcome], *, key: str) -> None:
    """Two different requests raced with one key, half each: one ran, its twins got its bytes,
    the other half were refused."""
    created = [o for o in outcomes if o.status == 201]
    refused = [json.loads(o.body) for o in outcomes if o.status == 422]
    assert len(created) == len(refused) == len(outcomes) // 2, [(o.status, o.body[:200]) for o in outcomes]
    assert len({o.body for o in created}) == 1
    assert sorted(o.replayed for o in created) == [False] + [True] * (len(created) - 1)
    reused = {"detail": f"Idempotency-Key {key!r} was used with a different request", "code": "idempotency_key_reused"}
    assert all(body == reused for body in refused)
    assert_overlapping(outcomes)
