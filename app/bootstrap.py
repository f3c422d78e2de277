"""The composition root: binds every contract to an implementation and wires the event system.

Today every module runs in this process, so each contract is bound to its module's facade.
Which binding and which transport to use is decided here and nowhere else, so moving a module
out of the process changes this file's inputs, not its callers.
"""

import inspect
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

from django.conf import settings

from app.events.bus import EventBus
from app.events.consumer import Consumer
from app.events.envelope import EventTypes
from app.events.notify import notify_committed
from app.events.relay import Relay, RelayPolicy, Transport
from app.events.runner import InlineDrainer, RelayLoop
from app.events.subscriptions import SubscriptionRegistry
from app.events.transport import CeleryTransport, InProcessTransport
from app.modules import ModuleSpec, discover_modules
from contracts.kernel.events import Event, publisher
from contracts.kernel.registry import registry


@dataclass(frozen=True, kw_only=True)
class Runtime:
    modules: tuple[ModuleSpec, ...]
    bus: EventBus
    subscriptions: SubscriptionRegistry
    event_types: EventTypes
    consumer: Consumer
    relay: Relay
    loop: RelayLoop

    @property
    def aliases(self) -> tuple[str, ...]:
        return tuple(spec.database_alias for spec in self.modules)

    def alias_for_module(self, module: str) -> str:
        return next(spec.database_alias for spec in self.modules if spec.name == module)


_runtime: Runtime | None = None


def runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("app.bootstrap.bootstrap() has not run (is Django set up?)")
    return _runtime


def bootstrap(modules: tuple[ModuleSpec, ...] | None = None) -> Runtime:
    global _runtime
    modules = discover_modules() if modules is None else modules
    for spec in modules:
        registry.bind(spec.interface(), spec.facade())
    _runtime = build_runtime(modules)
    publisher.bind(_runtime.bus)
    return _runtime


def build_runtime(modules: tuple[ModuleSpec, ...]) -> Runtime:
    aliases = {spec.name: spec.database_alias for spec in modules}
    subscriptions = SubscriptionRegistry(s for spec in modules for s in spec.subscriptions())
    consumer = Consumer(alias_for_module=aliases.__getitem__, max_attempts=settings.EVENTS_MAX_ATTEMPTS)
    relay = Relay(
        subscriptions=subscriptions,
        event_types=EventTypes(_event_classes(modules)),
        transport=_transport(consumer),
        policy=_policy(),
    )
    loop = RelayLoop(relay=relay, aliases=tuple(aliases.values()), poll_interval=settings.EVENTS_POLL_INTERVAL)
    bus = EventBus(alias_for_module=aliases.__getitem__, wakers=_wakers(relay, loop))
    return Runtime(
        modules=modules,
        bus=bus,
        subscriptions=subscriptions,
        event_types=relay.event_types,
        consumer=consumer,
        relay=relay,
        loop=loop,
    )


def _transport(consumer: Consumer) -> Transport:
    if settings.EVENTS_TRANSPORT == "celery":
        return CeleryTransport()
    if settings.EVENTS_TRANSPORT == "inprocess":
        return InProcessTransport(consumer)
    raise ValueError(f"EVENTS_TRANSPORT must be 'inprocess' or 'celery', not {settings.EVENTS_TRANSPORT!r}")


def _policy() -> RelayPolicy:
    return RelayPolicy(
        batch_size=settings.EVENTS_BATCH_SIZE,
        lease=timedelta(seconds=settings.EVENTS_LEASE_SECONDS),
        backoff=settings.EVENTS_RETRY_BACKOFF,
        backoff_max=settings.EVENTS_RETRY_BACKOFF_MAX,
    )


def _wakers(relay: Relay, loop: RelayLoop) -> list:  # type: ignore[type-arg]
    wakers = [loop.wake, notify_committed]
    return [InlineDrainer(relay), *wakers] if settings.EVENTS_RELAY_INLINE else wakers


def _event_classes(modules: tuple[ModuleSpec, ...]) -> list[type[Event]]:
    """Every event class declared in the modules' contract packages."""
    found: list[type[Event]] = []
    for spec in modules:
        events = import_module(f"{spec.contract_package}.events")
        found += [
            obj
            for _, obj in inspect.getmembers(events, inspect.isclass)
            if issubclass(obj, Event) and obj is not Event and obj.__module__ == events.__name__
        ]
    return found
