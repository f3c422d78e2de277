"""Fixtures shared by every tier. Tiers live in folders mirroring the code tree:

tests/app (composition root), tests/modules/<m> (one module, its own database), tests/architecture,
tests/e2e (the whole order flow through HTTP), tests/integration (real PostgreSQL and processes).
"""

from collections.abc import Iterator
from typing import Any

import pytest

from app.bootstrap import runtime
from contracts.kernel.events import Event, publisher
from contracts.kernel.registry import registry


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
