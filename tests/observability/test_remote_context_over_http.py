"""The caller's context reaches the provider of a remote contract call over real HTTP, served by
gunicorn as in production: gunicorn drops request headers whose names contain an underscore, so
what travels must have a name it passes on. Seen from outside: the provider's JSON access line."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry import trace

from app.modules import ModuleSpec
from app.observability import tracing
from app.observability.logging import log_context
from app.remote.client import TRANSIENT, RemoteContract
from app.resilience import Policy, Target
from tests.integration.processes import ROOT, Process, Processes, gunicorn, wait_for

TOKEN = "correlation-test-internal-token"
INTERNAL_ROUTE = "internal/inventory/get_prices"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Process]]:
    """The project under gunicorn (one worker, SQLite under a scratch VAR_DIR), JSON logs at INFO."""
    tmp = tmp_path_factory.mktemp("remote-context")
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    env |= {
        "VAR_DIR": str(tmp / "var"),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "correlation-test-not-a-secret",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "JWT_GENERATE_DEV_KEY": "1",
        "INTERNAL_API_TOKEN": TOKEN,
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "EVENTS_RELAY_IN_WEB": "0",
    }
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    processes = Processes(logs=tmp / "logs")
    try:
        url = gunicorn(processes, env, workers=1)
        yield url, processes.started[-1]
    finally:
        processes.stop_all()


@pytest.fixture
def inventory(provider: tuple[str, Process]) -> Iterator[Any]:
    with httpx.Client(timeout=10.0) as http:
        yield RemoteContract(
            interface=ModuleSpec("inventory").interface(),
            module="inventory",
            base_url=provider[0],
            token=TOKEN,
            target=Target("inventory", Policy(timeout=10.0, attempts=1), TRANSIENT),
            http=http,
        )


def access_line(server: Process, request_id: str) -> dict[str, Any]:
    """The provider's access log line for the internal call carrying ``request_id``."""
    found: list[dict[str, Any]] = []

    def logged() -> bool:
        found[:] = [
            line
            for line in map(_json, server.log().splitlines())
            if line.get("http_route") == INTERNAL_ROUTE and line.get("request_id") == request_id
        ]
        return bool(found)

    wait_for(logged, timeout=10, what=f"the access line of {request_id}", details=server.tail)
    [line] = found
    return line


def _json(text: str) -> dict[str, Any]:
    try:
        line = json.loads(text)
    except ValueError:
        return {}
    return line if isinstance(line, dict) else {}


def test_the_callers_correlation_id_arrives_with_the_call(provider, inventory) -> None:
    with log_context(request_id="req-corr-1", correlation_id="journey-42"):
        assert inventory.get_prices(skus=()) == ()
    line = access_line(provider[1], "req-corr-1")
    assert (line["correlation_id"], line["http_status"]) == ("journey-42", 200)


def test_without_a_correlation_id_the_provider_falls_back_to_the_request_id(provider, inventory) -> None:
    with log_context(request_id="req-corr-2"):
        assert inventory.get_prices(skus=()) == ()
    assert access_line(provider[1], "req-corr-2")["correlation_id"] == "req-corr-2"


@pytest.mark.skipif(not tracing.ENABLED, reason="tracing is off (OTEL_SDK_DISABLED=true)")
def test_the_callers_trace_arrives_with_the_call(provider, inventory) -> None:
    with log_context(request_id="req-corr-3"), trace.get_tracer(__name__).start_as_current_span("caller") as caller:
        assert inventory.get_prices(skus=()) == ()
    line = access_line(provider[1], "req-corr-3")
    assert line["trace_id"] == format(caller.get_span_context().trace_id, "032x")
