"""Subscriptions are data: which event type goes to which subscriber, under a stable id.

The id (``"inventory.reserve_stock"``) names the subscriber for good: it keys idempotency
records and dead letters, so it must not change when the handler function is renamed or moved.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contracts.kernel.events import Event


@dataclass(frozen=True, kw_only=True)
class Subscription:
    id: str
    event_type: type[Event]
    handler: Callable[[Any], None]

    @property
    def module(self) -> str:
        return self.id.split(".", 1)[0]
