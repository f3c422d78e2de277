"""The composition root: binds every contract to an implementation and wires the event system,
all from the topology (which modules this service hosts).

- a contract of a hosted module is bound to its facade; any other to the generic remote client
  aimed at the service that hosts it;
- a subscriber hosted here is delivered in-process (or through Celery when EVENTS_TRANSPORT says
  so); a subscriber hosted elsewhere always through Celery, on its module's queue;
- relays and workers cover the hosted modules' databases and queues only.

Callers never see the difference: moving a module changes this file's inputs, not its callers.
"""

import inspect
from dataclasses import dataclass
from datetime import timedelta
from http.cookiejar import CookieJar, DefaultCookiePolicy
from importlib import import_module
from importlib.util import find_spec
from types import ModuleType
from typing import Any

import httpx
from django.conf import settings

from app import propagation
from app.events.bus import EventBus
from app.events.consumer import Consumer
from app.events.envelope import EventTypes
from app.events.notify import notify_committed
from app.events.relay import Relay, RelayPolicy, Transport
from app.events.runner import InlineDrainer, RelayLoop
from app.events.subscriptions import SubscriptionRegistry
from app.events.transport import CeleryTransport, InProcessTransport, TopologyTransport
from app.identity.propagation import ActorPropagator
from app.jobs import JobLoop
from app.modules import ModuleSpec, discover_modules
from app.observability.calls import observe_contract
from app.observability.events import ObservedTransport
from app.outbound import OutboundCalls
from app.remote.client import TRANSIENT, RemoteContract
from app.resilience import Policy, Targets
from app.topology import Topology, TopologyError
from contracts.kernel.commands import command_sender
from contracts.kernel.events import Event, publisher
from contracts.kernel.jobs import Job
from contracts.kernel.outbound import outbound
from contracts.kernel.registry import registry
from contracts.kernel.subscriptions import Subscription


@dataclass(frozen=True, kw_only=True)
class Runtime:
    topology: Topology
    modules: tuple[ModuleSpec, ...]  # hosted by this service
    bus: EventBus
    subscriptions: SubscriptionRegistry
    event_types: EventTypes
    consumer: Consumer
    relay: Relay
    loop: RelayLoop
    targets: Targets
    http: httpx.Client
    jobs: JobLoop
    outbound: OutboundCalls

    @property
    def aliases(self) -> tuple[str, ...]:
        return tuple(spec.database_alias for spec in self.modules)

    def alias_for_module(self, module: str) -> str:
        for spec in self.modules:
            if spec.name == module:
                return spec.database_alias
        raise LookupError(f"module {module!r} is not hosted by service {self.topology.current.name!r}")


_runtime: Runtime | None = None
ACTOR = ActorPropagator()


def runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("app.bootstrap.bootstrap() has not run (is Django set up?)")
    return _runtime


def bootstrap(topology: Topology | None = None) -> Runtime:
    global _runtime
    topology = topology or settings.TOPOLOGY
    _runtime = build_runtime(topology, discover_modules())
    _bind_contracts(_runtime, discover_modules())
    publisher.bind(_runtime.bus)
    command_sender.bind(_runtime.bus)
    outbound.bind(_runtime.outbound)
    propagation.register(ACTOR)
    return _runtime


def build_runtime(topology: Topology, every_module: tuple[ModuleSpec, ...]) -> Runtime:
    hosted = tuple(spec for spec in every_module if topology.hosts(spec.name))
    aliases = {spec.name: spec.database_alias for spec in hosted}
    event_classes = _event_classes((*every_module, *_contract_only(topology, every_module)))
    subscriptions = SubscriptionRegistry(
        [*(s for spec in every_module for s in spec.subscriptions()), *_declared_subscriptions(topology, event_classes)]
    )
    consumer = Consumer(alias_for_module=aliases.__getitem__, max_attempts=settings.EVENTS_MAX_ATTEMPTS)
    event_types = EventTypes(event_classes)
    relay = Relay(
        subscriptions=subscriptions,
        event_types=event_types,
        transport=_transport(topology, InProcessTransport(consumer, event_types)),
        policy=_policy(),
    )
    loop = RelayLoop(relay=relay, aliases=tuple(aliases.values()), poll_interval=settings.EVENTS_POLL_INTERVAL)
    return Runtime(
        topology=topology,
        modules=hosted,
        subscriptions=subscriptions,
        event_types=relay.event_types,
        consumer=consumer,
        relay=relay,
        loop=loop,
        bus=EventBus(alias_for_module=aliases.__getitem__, wakers=_wakers(relay, loop)),
        targets=Targets(_remote_policy(), TRANSIENT),
        http=_http_client(),
        jobs=JobLoop([*_platform_jobs(tuple(aliases.values())), *(job for spec in hosted for job in spec.jobs())]),
        outbound=OutboundCalls(settings.OUTBOUND_TARGETS),
    )


def _http_client() -> httpx.Client:
    """One pooled client for every remote call and gateway hop. It keeps no cookies: it serves
    many users, and a Set-Cookie answered to one must never ride along on another's request."""
    return httpx.Client(
        timeout=settings.REMOTE_TIMEOUT,
        limits=httpx.Limits(max_keepalive_connections=20),
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
    )


def _bind_contracts(current: Runtime, every_module: tuple[ModuleSpec, ...]) -> None:
    for spec in (*every_module, *_contract_only(current.topology, every_module)):
        binding = "in-process" if current.topology.hosts(spec.name) else "remote"
        implementation = observe_contract(
            _implementation(current, spec), interface=spec.interface(), contract=spec.name, binding=binding
        )
        registry.bind(spec.interface(), implementation)


def _platform_jobs(aliases: tuple[str, ...]) -> list[Job]:
    """The platform's own periodic work, next to the modules': expired Idempotency-Keys go."""

    def purge() -> int:
        from app.idempotency.services import idempotency_purge_expired  # it reads runtime() from here

        return sum(idempotency_purge_expired(alias=alias) for alias in aliases)

    return [Job(id="platform.idempotency_purge", every=settings.IDEMPOTENCY_PURGE_INTERVAL, run=purge)]


def _contract_only(topology: Topology, every_module: tuple[ModuleSpec, ...]) -> tuple[ModuleSpec, ...]:
    """Modules hosted elsewhere whose code is not in this project, only their contract (a
    standalone service project): bound remotely, their events known, like any remote module."""
    present = {spec.name for spec in every_module}
    return tuple(ModuleSpec(name) for name in topology.remote_modules() if name not in present)


def _declared_subscriptions(topology: Topology, event_classes: list[type[Event]]) -> list[Subscription]:
    """Subscribers the topology names because their code is not in this project: the relay sends
    them this project's events through Celery, on their module's queue; nothing runs here."""
    by_type = {cls.event_type(): cls for cls in event_classes}
    declared = []
    for service in topology.services:
        for subscriber, event_type in service.subscribers:
            if event_type not in by_type:
                raise TopologyError(f"subscriber {subscriber!r} listens to {event_type!r}: no contract here has it")
            declared.append(Subscription(id=subscriber, event_type=by_type[event_type], handler=_runs_elsewhere))
    return declared


def _runs_elsewhere(event: Event) -> None:
    raise RuntimeError(f"a subscriber whose code runs in another service was handed {event!r} in-process")


def _implementation(current: Runtime, spec: ModuleSpec) -> Any:
    if current.topology.hosts(spec.name):
        return spec.facade()
    service = current.topology.service_of(spec.name)
    return RemoteContract(
        interface=spec.interface(),
        module=spec.name,
        base_url=service.url,
        token=settings.INTERNAL_API_TOKEN,
        target=current.targets.get(service.name),
        http=current.http,
    )


def _transport(topology: Topology, in_process: InProcessTransport) -> Transport:
    """In-process deliveries have their consumer's span; those through Celery a relay span too."""
    if settings.EVENTS_TRANSPORT not in ("inprocess", "celery"):
        raise ValueError(f"EVENTS_TRANSPORT must be 'inprocess' or 'celery', not {settings.EVENTS_TRANSPORT!r}")
    local = in_process if settings.EVENTS_TRANSPORT == "inprocess" else None
    declared = (subscriber.split(".", 1)[0] for service in topology.services for subscriber, _ in service.subscribers)
    remote_modules = (*topology.remote_modules(), *declared)
    if local is not None and not remote_modules:
        return local
    remote = ObservedTransport(CeleryTransport())
    return TopologyTransport(local=local, remote=remote, remote_modules=frozenset(remote_modules))


def _policy() -> RelayPolicy:
    return RelayPolicy(
        batch_size=settings.EVENTS_BATCH_SIZE,
        lease=timedelta(seconds=settings.EVENTS_LEASE_SECONDS),
        backoff=settings.EVENTS_RETRY_BACKOFF,
        backoff_max=settings.EVENTS_RETRY_BACKOFF_MAX,
    )


def _remote_policy() -> Policy:
    return Policy(
        timeout=settings.REMOTE_TIMEOUT,
        attempts=settings.REMOTE_ATTEMPTS,
        failures_to_open=settings.REMOTE_BREAKER_FAILURES,
        reset_after=settings.REMOTE_BREAKER_RESET,
    )


def _wakers(relay: Relay, loop: RelayLoop) -> list:  # type: ignore[type-arg]
    """Inline, the committing thread delivers (an order is confirmed before its POST answers), so
    the web process's relay thread is not woken to race it for the same rows: it stays the
    polling safety net. Otherwise the relay thread is woken; other processes by NOTIFY."""
    if settings.EVENTS_RELAY_INLINE:
        return [InlineDrainer(relay), notify_committed]
    return [loop.wake, notify_committed]


def _event_classes(modules: tuple[ModuleSpec, ...]) -> list[type[Event]]:
    """Every event and command class declared in the modules' contract packages."""
    found: list[type[Event]] = []
    for spec in modules:
        for kind in ("events", "commands"):
            if find_spec(f"{spec.contract_package}.{kind}") is not None:
                found += _messages_in(import_module(f"{spec.contract_package}.{kind}"))
    return found


def _messages_in(package: ModuleType) -> list[type[Event]]:
    return [
        obj
        for _, obj in inspect.getmembers(package, inspect.isclass)
        if issubclass(obj, Event) and obj.__module__ == package.__name__
    ]
