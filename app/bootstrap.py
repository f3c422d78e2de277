"""The composition root: binds every contract to an implementation and installs the event bus.

Today every module runs in this process, so each contract is bound to its module's facade and
every subscriber is delivered in-process. Which binding and transport to use is decided here and
nowhere else, so moving a module out of the process changes this file's inputs, not its callers.
"""

from app.events.bus import EventBus
from app.events.subscriptions import SubscriptionRegistry
from app.events.transport import InProcessTransport
from app.modules import ModuleSpec, discover_modules
from contracts.kernel.events import publisher
from contracts.kernel.registry import registry


def bootstrap(modules: tuple[ModuleSpec, ...] | None = None) -> EventBus:
    modules = discover_modules() if modules is None else modules
    for spec in modules:
        registry.bind(spec.interface(), spec.facade())
    bus = build_bus(modules)
    publisher.bind(bus)
    return bus


def build_bus(modules: tuple[ModuleSpec, ...]) -> EventBus:
    aliases = {spec.name: spec.database_alias for spec in modules}
    return EventBus(
        subscriptions=SubscriptionRegistry(s for spec in modules for s in spec.subscriptions()),
        transport=InProcessTransport(),
        alias_for_module=aliases.__getitem__,
    )
