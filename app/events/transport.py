"""How the relay hands one delivery (its event in wire form) to one subscriber.

In-process: decode the event and run the consumer right here. Celery: one task per delivery on
the subscribing module's queue, carrying the wire form as stored (decoded only by the worker
that runs it) and the relay's trace context; the consumer runs in whichever worker takes it.
The relay sends a claimed batch inside ``transport.batch()``: Celery hands the batch's tasks to
the broker in one round trip when the block ends.
"""

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from app.events.consumer import Consumer, Outcome
from app.events.envelope import EventTypes, Wire
from app.events.relay import Transport, TransportUnavailableError
from app.observability.tracing import trace_headers
from contracts.kernel.subscriptions import Subscription


@dataclass(frozen=True)
class InProcessTransport:
    consumer: Consumer
    event_types: EventTypes

    def send(self, *, wire: Wire, subscription: Subscription, fresh: bool) -> Outcome:
        return self.consumer.process(self.event_types.envelope_from_wire(wire), subscription, first=fresh)

    def batch(self) -> AbstractContextManager[None]:
        return nullcontext()  # each delivery is handled when it is sent


class CeleryTransport:
    def __init__(self, app: Any = None) -> None:
        """``app``: the Celery app whose broker gets the tasks (``app.celery``'s by default)."""
        from kombu.exceptions import BatchPublishError, OperationalError

        if app is None:
            from app.celery import app  # configures the broker before the task is first used

        self._app = app
        # What the broker client raises when the broker cannot be reached (no connection is made
        # here), and when a batch could not be handed over.
        self._broker_errors = (OperationalError, BatchPublishError, *app.connection_for_write().connection_errors)
        self._batching = threading.local()  # .producer: the producer of this thread's open batch
        self._declared = threading.local()  # .queues: (channel, {module: its queue bound to it})

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Sends in the block are held back and handed to the broker in one round trip when it
        ends (kombu's publish batch: one Redis pipeline, instead of a connection checkout and a
        round trip per task). Raises ``TransportUnavailableError`` when that fails: delivery is
        then uncertain for every send of the block (some may have reached the broker; their
        re-sends are absorbed by the inbox)."""
        enclosing = getattr(self._batching, "producer", None)
        try:
            with self._app.producer_or_acquire() as producer, producer.batch():
                self._batching.producer = producer
                try:
                    yield
                finally:
                    self._batching.producer = enclosing
        except self._broker_errors as error:
            raise TransportUnavailableError(f"{type(error).__name__}: {error}") from error

    def send(self, *, wire: Wire, subscription: Subscription, fresh: bool) -> Outcome:
        from app.events.tasks import deliver

        batching = getattr(self._batching, "producer", None)
        try:
            # Outside a batch, a producer from the pool, which sends at once.
            with self._app.producer_or_acquire(batching) as producer:
                deliver.apply_async(
                    args=(wire, subscription.id, fresh),
                    queue=subscription.module,
                    declare=[self._bound_queue(producer, subscription.module)],
                    producer=producer,
                    retry=False,
                    headers=trace_headers(),  # the worker's handle span continues this send's span
                    # What Celery logs and carries as the arguments' repr: by default a repr of the whole
                    # envelope, computed at every send and written into the worker's task logs.
                    argsrepr=f"(<{wire['type']} {wire['id']}>, {subscription.id!r})",
                    kwargsrepr="{}",
                )
        except self._broker_errors as error:
            raise TransportUnavailableError(f"{type(error).__name__}: {error}") from error
        return Outcome.SENT

    def _bound_queue(self, producer: Any, module: str) -> Any:
        """``module``'s queue, bound to the producer's channel, to be declared with the send (on
        RabbitMQ a message sent to a queue not declared yet is dropped). kombu declares it once
        per connection, but before looking in its cache of declared queues it binds a copy of an
        unbound queue to the channel, and discards the copy: 15% of a send. Bound once per
        channel (a producer's channel changes only after a reconnect)."""
        channel = producer.channel
        cached = getattr(self._declared, "queues", None)
        if cached is None or cached[0] is not channel:
            cached = self._declared.queues = (channel, {})
        queues: dict[str, Any] = cached[1]
        if module not in queues:
            queues[module] = self._app.amqp.queues[module].bind(channel)
        return queues[module]


@dataclass(frozen=True, kw_only=True)
class TopologyTransport:
    """Subscribers hosted in this service go through ``local`` (when there is one); subscribers
    hosted elsewhere, or all of them when ``local`` is None, go through ``remote`` (Celery)."""

    local: InProcessTransport | None
    remote: Transport
    remote_modules: frozenset[str]

    def send(self, *, wire: Wire, subscription: Subscription, fresh: bool) -> Outcome:
        if self.local is not None and subscription.module not in self.remote_modules:
            return self.local.send(wire=wire, subscription=subscription, fresh=fresh)
        return self.remote.send(wire=wire, subscription=subscription, fresh=fresh)

    def batch(self) -> AbstractContextManager[None]:
        return self.remote.batch()
