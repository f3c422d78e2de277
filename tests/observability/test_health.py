"""/api/health/live and /api/health/ready: what is checked, what failing looks like, recovery."""

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from uuid import uuid4

import pytest
from django.db import connections
from django.utils import timezone

from app.events.models import DeadLetter, OutboxEvent
from app.modules import discover_modules

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)

ALIASES = ("default", *(spec.database_alias for spec in discover_modules()))


def checks(response) -> dict[str, str]:
    return {check["name"]: check["status"] for check in response.json()["checks"]}


def failed(response) -> dict[str, str]:
    return {check["name"]: check["detail"] for check in response.json()["checks"] if check["status"] == "failed"}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Pong(socketserver.StreamRequestHandler):
    """Just enough Redis: one +PONG per command received (RESP arrays start with '*')."""

    def handle(self) -> None:
        while data := self.request.recv(65536):
            commands = sum(1 for line in data.split(b"\r\n") if line.startswith(b"*")) or 1
            self.request.sendall(b"+PONG\r\n" * commands)


@pytest.fixture
def fake_redis() -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Pong)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"redis://127.0.0.1:{server.server_address[1]}/0"
    server.shutdown()
    server.server_close()


@contextmanager
def database_down(alias: str) -> Iterator[None]:
    """``alias`` pointed at a closed port (PostgreSQL) or a file that cannot exist (SQLite)."""
    original = connections[alias]
    if original.vendor == "sqlite":
        unreachable = {"NAME": "/nonexistent/dir/db.sqlite3"}
    else:
        unreachable = {"HOST": "127.0.0.1", "PORT": str(closed_port())}
    broken = original.__class__({**original.settings_dict, **unreachable}, alias)
    connections[alias] = broken
    try:
        yield
    finally:
        connections[alias] = original
        broken.close()


def test_live_answers_without_touching_anything(client) -> None:
    response = client.get("/api/health/live")
    assert (response.status_code, response.json()) == (200, {"status": "alive", "service": "monolith"})


def test_the_original_health_endpoint_still_answers(client) -> None:
    modules = [spec.name for spec in discover_modules()]
    assert client.get("/api/health").json() == {"status": "ok", "modules": modules}


def test_ready_checks_every_database_and_outbox(client) -> None:
    response = client.get("/api/health/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    expected = {f"database:{alias}": "ok" for alias in ALIASES}
    expected |= {f"outbox:{alias}": "ok" for alias in ALIASES if alias != "default"}
    assert checks(response) == expected  # in-process transport: no broker to check


def test_ready_fails_while_a_database_is_down_and_recovers(client) -> None:
    with database_down("orders"):
        response = client.get("/api/health/ready")
    assert (response.status_code, response.json()["status"]) == (503, "not_ready")
    assert set(failed(response)) == {"database:orders", "outbox:orders"}
    assert failed(response)["database:orders"].startswith("OperationalError: ")
    assert checks(response)["database:inventory"] == "ok"
    assert client.get("/api/health/ready").status_code == 200


def test_with_the_celery_transport_ready_fails_while_redis_is_down_and_recovers(client, settings, fake_redis) -> None:
    settings.EVENTS_TRANSPORT = "celery"
    settings.HEALTH_CHECK_TIMEOUT = 0.5
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = client.get("/api/health/ready")
    assert response.status_code == 503
    assert list(failed(response)) == ["broker"]
    assert "ConnectionError" in failed(response)["broker"]

    settings.REDIS_URL = fake_redis
    response = client.get("/api/health/ready")
    assert response.status_code == 200
    assert checks(response)["broker"] == "ok"


def test_ready_fails_over_the_dead_letter_threshold(client, settings) -> None:
    DeadLetter.objects.using("inventory").create(
        subscriber="inventory.reserve_stock", event_id=uuid4(), event_type="t", envelope={}, attempts=5, error="boom"
    )
    settings.HEALTH_MAX_DEAD_LETTERS = 1
    assert client.get("/api/health/ready").status_code == 200
    settings.HEALTH_MAX_DEAD_LETTERS = 0
    response = client.get("/api/health/ready")
    assert response.status_code == 503
    assert failed(response) == {
        "outbox:inventory": "ThresholdExceededError: lag 0.0s (max 300s), 1 dead letters (max 0)"
    }


def test_ready_fails_over_the_outbox_lag_threshold(client, settings) -> None:
    OutboxEvent.objects.using("orders").create(
        id=uuid4(),
        type="orders.OrderPlacedV1",
        source="/modules/orders",
        time=timezone.now() - timedelta(minutes=10),
        data={},
    )
    settings.HEALTH_MAX_OUTBOX_LAG_SECONDS = 60
    response = client.get("/api/health/ready")
    assert response.status_code == 503
    assert list(failed(response)) == ["outbox:orders"]
    assert failed(response)["outbox:orders"].startswith("ThresholdExceededError: lag 6")
