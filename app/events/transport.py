"""How the relay hands one envelope to one subscriber.

In-process: run the consumer right here. Celery: one task per delivery on the subscribing
module's queue; the consumer runs in whichever worker takes it.
"""

from dataclasses import dataclass

from app.events.consumer import Consumer, Outcome
from app.events.envelope import Envelope
from app.events.relay import TransportUnavailableError
from contracts.kernel.subscriptions import Subscription


@dataclass(frozen=True)
class InProcessTransport:
    consumer: Consumer

    def send(self, *, envelope: Envelope, subscription: Subscription) -> Outcome:
        return self.consumer.process(envelope, subscription)


class CeleryTransport:
    def __init__(self) -> None:
        from kombu.exceptions import OperationalError

        from app.celery import app  # configures the broker before the task is first used

        self._app = app
        # What the broker client raises when the broker cannot be reached (no connection is made here).
        self._broker_errors = (OperationalError, *app.connection_for_write().connection_errors)

    def send(self, *, envelope: Envelope, subscription: Subscription) -> Outcome:
        from app.events.tasks import deliver

        try:
            deliver.apply_async(
                args=(envelope.to_wire(), subscription.id),
                queue=subscription.module,
                retry=False,
                # What Celery logs and carries as the arguments' repr: by default a repr of the whole
                # envelope, computed at every send and written into the worker's task logs.
                argsrepr=f"(<{envelope.type} {envelope.id}>, {subscription.id!r})",
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
    remote: CeleryTransport
    remote_modules: frozenset[str]

    def send(self, *, envelope: Envelope, subscription: Subscription) -> Outcome:
        if self.local is not None and subscription.module not in self.remote_modules:
            return self.local.send(envelope=envelope, subscription=subscription)
        return self.remote.send(envelope=envelope, subscription=subscription)
