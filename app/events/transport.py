"""How the relay hands one delivery (its event in wire form) to one subscriber.

In-process: decode the event and run the consumer right here. Celery: one task per delivery on
the subscribing module's queue, carrying the wire form as stored (decoded only by the worker
that runs it) and the relay's trace context; the consumer runs in whichever worker takes it.
"""

from dataclasses import dataclass

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


class CeleryTransport:
    def __init__(self) -> None:
        from kombu.exceptions import OperationalError

        from app.celery import app  # configures the broker before the task is first used

        self._app = app
        # What the broker client raises when the broker cannot be reached (no connection is made here).
        self._broker_errors = (OperationalError, *app.connection_for_write().connection_errors)

    def send(self, *, wire: Wire, subscription: Subscription, fresh: bool) -> Outcome:
        from app.events.tasks import deliver

        try:
            deliver.apply_async(
                args=(wire, subscription.id, fresh),
                queue=subscription.module,
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
