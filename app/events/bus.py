"""publish(event): delivered after the publishing module's transaction commits, never before.

The event belongs to the module whose contract declares it, and that module's database alias is
the transaction it must be published in. Publishing outside an atomic block on that alias is an
error: it would make the event independent of the change it announces.
"""

import threading
from collections import deque
from collections.abc import Callable
from functools import partial

from django.db import connections, transaction

from app.events.envelope import Envelope
from app.events.subscriptions import SubscriptionRegistry
from app.events.transport import Transport
from contracts.kernel.events import Event


class PublishOutsideTransactionError(RuntimeError):
    pass


class EventBus:
    def __init__(
        self,
        *,
        subscriptions: SubscriptionRegistry,
        transport: Transport,
        alias_for_module: Callable[[str], str],
    ) -> None:
        self.subscriptions = subscriptions
        self._transport = transport
        self._alias_for_module = alias_for_module
        self._local = threading.local()

    def publish(self, event: Event) -> None:
        alias = self._transaction_alias(event)
        envelope = Envelope(data=event)
        transaction.on_commit(partial(self.dispatch, envelope), using=alias)

    def dispatch(self, envelope: Envelope) -> None:
        """Deliver to every subscriber. An event published by a handler waits for the current
        event's other subscribers (breadth first, as a message queue would order them)."""
        pending: deque[Envelope] | None = getattr(self._local, "pending", None)
        if pending is not None:
            pending.append(envelope)
            return
        self._local.pending = pending = deque([envelope])
        try:
            while pending:
                self._deliver_to_all(pending.popleft())
        finally:
            self._local.pending = None

    def _deliver_to_all(self, envelope: Envelope) -> None:
        for subscription in self.subscriptions.for_event(type(envelope.data)):
            self._transport.deliver(envelope=envelope, subscription=subscription)

    def _transaction_alias(self, event: Event) -> str:
        alias = self._alias_for_module(event.source_module())
        if not connections[alias].in_atomic_block:
            raise PublishOutsideTransactionError(
                f"{event.event_type()} must be published inside transaction.atomic(using={alias!r})"
            )
        return alias
