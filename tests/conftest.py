"""Fixtures shared by every tier. Tiers live in folders mirroring the code tree:

tests/app (composition root), tests/modules/<m> (one module, its own database), tests/architecture,
tests/e2e (the whole order flow through HTTP), tests/integration (real PostgreSQL and processes).
"""

from collections.abc import Iterator
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.test import Client

from app.bootstrap import runtime
from app.identity.tokens import roles_of, token_issue
from contracts.kernel.commands import Command, command_sender
from contracts.kernel.events import Event, publisher
from contracts.kernel.registry import registry

if TYPE_CHECKING:
    from scripts.fake_payment_provider import FakePaymentProvider


@pytest.fixture(scope="session", autouse=True)
def payment_provider() -> Iterator["FakePaymentProvider | None"]:
    """The fake payment provider on a free loopback port for the whole run, as `make run` has
    one: every order's saga authorizes and captures through real HTTP. None in a standalone
    service project without payments (scripts/extract_module.py --standalone)."""
    if find_spec("modules.payments") is None:
        yield None
        return
    from scripts.fake_payment_provider import FakePaymentProvider

    with FakePaymentProvider() as provider:
        saved, settings.PAYMENT_PROVIDER_URL = settings.PAYMENT_PROVIDER_URL, provider.url
        yield provider
        settings.PAYMENT_PROVIDER_URL = saved


@pytest.fixture(autouse=True)
def payment_provider_reset(payment_provider: "FakePaymentProvider | None") -> Iterator[None]:
    """Each test starts with a healthy provider and closed breakers, whatever the last one did."""
    yield
    if payment_provider is not None:
        payment_provider.configure(failure_rate=0.0, latency=0.0, decline_over="1000")
    runtime().outbound.reset(settings.OUTBOUND_TARGETS)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Real hashers are slow on purpose; tests create users, they do not defend them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class RecordingPublisher:
    """Stands in for the bus in module tests: records what a module publishes, delivers nothing."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, event: Event) -> None:
        self.events.append(event)

    def of_type(self, event_type: type[Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, event_type)]


@pytest.fixture
def published() -> Iterator[RecordingPublisher]:
    recorder = RecordingPublisher()
    publisher.bind(recorder)
    yield recorder
    publisher.bind(runtime().bus)


class RecordingSender:
    """Stands in for the bus in module tests: records the commands a module sends, and who sent them."""

    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.senders: list[str] = []

    def send(self, command: Command, *, sender: str) -> None:
        self.commands.append(command)
        self.senders.append(sender)

    def of_type(self, command_type: type[Command]) -> list[Any]:
        return [c for c in self.commands if isinstance(c, command_type)]


@pytest.fixture
def sent() -> Iterator[RecordingSender]:
    recorder = RecordingSender()
    command_sender.bind(recorder)
    yield recorder
    command_sender.bind(runtime().bus)


@pytest.fixture
def bind(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Rebind a contract for one test: ``bind(InventoryInterface, fake)``; restored afterwards."""
    saved: dict[type, object] = {}

    def _bind(interface: type, implementation: object) -> None:
        saved.setdefault(interface, registry.resolve(interface))
        registry.bind(interface, implementation)

    yield _bind
    for interface, implementation in saved.items():
        registry.bind(interface, implementation)


@pytest.fixture
def token_for() -> Any:
    """``token_for(user)``: a valid access token for a Django user."""

    def _token(user: Any) -> str:
        return token_issue(subject=str(user.pk), roles=roles_of(is_staff=user.is_staff), email=user.email)

    return _token


@pytest.fixture
def customer(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("ann", email="ann@example.com", password="ann-pass-123")


@pytest.fixture
def auth_client(customer: Any, token_for: Any) -> Client:
    """A client logged in as the customer ann@example.com."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_for(customer)}")


@pytest.fixture
def client_as() -> Any:
    """``client_as(email=..., staff=False)``: a client carrying a token for that identity (no user
    row needed: tokens are verified, not looked up)."""

    def _client(*, email: str, staff: bool = False, subject: str = "") -> Client:
        token = token_issue(subject=subject or email, roles=roles_of(is_staff=staff), email=email)
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    return _client
