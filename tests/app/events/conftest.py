"""A small event world for testing the machinery without the real modules: a test event owned
by "inventory" (so it is published in the inventory database) and configurable subscribers."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from app.events.bus import EventBus
from app.events.consumer import Consumer
from app.events.envelope import EventTypes
from app.events.relay import Relay, RelayPolicy
from app.events.subscriptions import SubscriptionRegistry
from app.events.transport import InProcessTransport
from contracts.inventory.events import StockReservedV1
from contracts.kernel.subscriptions import Subscription


def alias_for(module: str) -> str:
    return {"t": "orders"}.get(module, module)


@dataclass
class World:
    """Publishes StockReservedV1 on "inventory"; subscribers "t.*" consume in "orders"."""

    handlers: dict[str, Callable[[Any], None]] = field(default_factory=dict)
    max_attempts: int = 3

    def subscribe(self, name: str, handler: Callable[[Any], None]) -> None:
        self.handlers[f"t.{name}"] = handler

    def relay(self, **policy: Any) -> Relay:
        subscriptions = SubscriptionRegistry(
            Subscription(id=sid, event_type=StockReservedV1, handler=h) for sid, h in self.handlers.items()
        )
        consumer = Consumer(alias_for_module=alias_for, max_attempts=self.max_attempts)
        event_types = EventTypes([StockReservedV1])
        return Relay(
            subscriptions=subscriptions,
            event_types=event_types,
            transport=InProcessTransport(consumer, event_types),
            policy=RelayPolicy(**{"backoff": 0.0, "lease": timedelta(seconds=30), **policy}),
        )

    def bus(self, *wakers: Callable[[str], None]) -> EventBus:
        return EventBus(alias_for_module=alias_for, wakers=wakers)


@pytest.fixture
def world() -> World:
    return World()


def reserved() -> StockReservedV1:
    return StockReservedV1(order_id=uuid.uuid4(), command_id=uuid.uuid4())
