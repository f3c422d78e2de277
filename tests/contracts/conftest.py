"""The two bindings of every contract: the provider's facade, and the generic remote client
talking over real HTTP (loopback) to the internal router served by a live Django server."""

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from django.conf import settings
from pytest_django.live_server_helper import LiveServer

from app.modules import ModuleSpec
from app.remote.client import TRANSIENT, RemoteContract
from app.resilience import Policy, Target

BINDINGS = ("in-process", "remote")


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """pytest-django's live server (the project's urls, the test databases), on 127.0.0.1."""
    server = LiveServer("127.0.0.1")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10.0) as client:
        yield client


def remote(spec: ModuleSpec, *, base_url: str, http: httpx.Client, token: str | None = None) -> Any:
    return RemoteContract(
        interface=spec.interface(),
        module=spec.name,
        base_url=base_url,
        token=settings.INTERNAL_API_TOKEN if token is None else token,
        # One attempt and a breaker that never opens: a failure shows at once, as itself.
        target=Target(f"conformance-{spec.name}", Policy(timeout=10.0, attempts=1, failures_to_open=10**6), TRANSIENT),
        http=http,
    )


@pytest.fixture
def bound(live_server: LiveServer, http: httpx.Client) -> Callable[[str, str], object]:
    """``bound(module, binding)``: the module's contract as a caller in another module gets it."""

    def _bound(module: str, binding: str) -> object:
        spec = ModuleSpec(module)
        if binding == "in-process":
            return spec.facade()
        return remote(spec, base_url=live_server.url, http=http)

    return _bound
