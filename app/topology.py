"""Which modules run in which service, and where each service is reached.

The topology file (``topology.toml`` at the project root, or ``TOPOLOGY_FILE``) lists services:

    [services.monolith]
    modules = ["*"]                      # every module no other service hosts
    url = "http://127.0.0.1:8000"

    [services.inventory]
    modules = ["inventory"]
    url = "http://127.0.0.1:8001"

A process is one service (``SERVICE``, default ``monolith``). From the topology follow the
database aliases it opens, which contracts it binds in-process or remote, which subscribers it
delivers in-process or through Celery, the queues its workers consume and the routes its
gateway proxies. With no file, the monolith hosts every module.

Two optional keys serve a project that holds only some modules' code (a standalone service
written by ``scripts/extract_module.py --standalone``): ``default_service = "<name>"`` (the
service a process is when SERVICE is unset, instead of ``monolith``), and per service a
``[services.<name>.subscribers]`` table, ``"<subscriber id>" = "<event type>"``, naming the
subscribers hosted there whose code is not in this project, so that this project's relay still
sends them its events (through Celery, on the subscriber's module queue). A module known here
only by its contract (``app.modules.contract_only_modules``) may be named like any other and is
hosted by the ``"*"`` service unless named elsewhere, but never by the current service.
"""

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_SERVICE = "monolith"
EVERYTHING_ELSE = "*"


class TopologyError(ValueError):
    pass


@dataclass(frozen=True)
class Service:
    name: str
    modules: tuple[str, ...]
    url: str
    subscribers: tuple[tuple[str, str], ...] = ()  # (subscriber id, event type) whose code is elsewhere


@dataclass(frozen=True)
class Topology:
    services: tuple[Service, ...]
    current: Service

    def service_of(self, module: str) -> Service:
        return next(service for service in self.services if module in service.modules)

    def hosts(self, module: str) -> bool:
        return module in self.current.modules

    @property
    def hosted(self) -> tuple[str, ...]:
        return self.current.modules

    def remote_modules(self) -> tuple[str, ...]:
        return tuple(m for s in self.services if s is not self.current for m in s.modules)


def load_topology(
    *, path: Path, modules: Iterable[str], service: str | None = None, contract_only: Iterable[str] = ()
) -> Topology:
    """``service`` None: the file's ``default_service``, else ``monolith``. ``contract_only``: modules
    whose contract is here but whose code is not (see the module docstring)."""
    absent = tuple(contract_only)
    known = (*modules, *absent)
    raw = _read(path) if path.exists() else {"services": {DEFAULT_SERVICE: {"modules": [EVERYTHING_ELSE]}}}
    services = _services(raw, known, source=path)
    service = service or _default_service(raw, source=path)
    current = next((s for s in services if s.name == service), None)
    if current is None:
        raise TopologyError(f"{path.name}: SERVICE={service!r} is not one of {', '.join(s.name for s in services)}")
    without_code = [m for m in current.modules if m in absent]
    if without_code:
        raise TopologyError(
            f"{path.name}: service {service!r} would host {', '.join(without_code)}, "
            "whose code is not in this project (only the contract is)"
        )
    return Topology(services=services, current=current)


def _default_service(raw: Mapping[str, Any], *, source: Path) -> str:
    name = raw.get("default_service", DEFAULT_SERVICE)
    if not isinstance(name, str) or not name:
        raise TopologyError(f'{source.name}: default_service must be a service name, e.g. default_service = "monolith"')
    return name


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise TopologyError(f"{path.name}: cannot be read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise TopologyError(f"{path.name}: not valid TOML: {error}") from None


def _services(raw: Mapping[str, Any], known: tuple[str, ...], *, source: Path) -> tuple[Service, ...]:
    table = raw.get("services")
    if not isinstance(table, dict) or not table:
        raise TopologyError(f"{source.name}: no [services.<name>] table")
    declared = {name: _modules_of(name, spec, source) for name, spec in table.items()}
    owners = _owners(declared, known, source)
    remote = len(declared) > 1
    return tuple(
        Service(
            name=name,
            modules=tuple(sorted(m for m, o in owners.items() if o == name)),
            url=_url(name, spec, remote, source),
            subscribers=_subscribers(name, spec, source),
        )
        for name, spec in table.items()
    )


def _modules_of(name: str, spec: Any, source: Path) -> list[str]:
    modules = spec.get("modules") if isinstance(spec, dict) else None
    if not isinstance(modules, list) or not all(isinstance(m, str) for m in modules):
        raise TopologyError(f'{source.name}: service {name!r} needs modules = ["<module>", ...]')
    return modules


def _owners(declared: Mapping[str, list[str]], known: tuple[str, ...], source: Path) -> dict[str, str]:
    owners: dict[str, str] = {}
    for service, modules in declared.items():
        for module in (m for m in modules if m != EVERYTHING_ELSE):
            if module not in known:
                raise TopologyError(f"{source.name}: service {service!r} lists unknown module {module!r}")
            if module in owners:
                raise TopologyError(
                    f"{source.name}: module {module!r} is in two services: {owners[module]!r} and {service!r}"
                )
            owners[module] = service
    return _assign_the_rest(owners, declared, known, source)


def _assign_the_rest(
    owners: dict[str, str], declared: Mapping[str, list[str]], known: tuple[str, ...], source: Path
) -> dict[str, str]:
    catch_all = [name for name, modules in declared.items() if EVERYTHING_ELSE in modules]
    if len(catch_all) > 1:
        raise TopologyError(f'{source.name}: only one service may host "*", not {", ".join(catch_all)}')
    unowned = [m for m in known if m not in owners]
    if unowned and not catch_all:
        raise TopologyError(f'{source.name}: no service hosts {", ".join(unowned)} (add them, or "*")')
    return {**owners, **dict.fromkeys(unowned, catch_all[0])} if unowned else owners


def _subscribers(name: str, spec: Mapping[str, Any], source: Path) -> tuple[tuple[str, str], ...]:
    table = spec.get("subscribers", {})
    valid = isinstance(table, dict) and all(
        isinstance(k, str) and "." in k and isinstance(v, str) and "." in v for k, v in table.items()
    )
    if not valid:
        raise TopologyError(
            f"{source.name}: [services.{name}.subscribers] maps subscriber ids to event types, "
            'e.g. "orders.saga_stock_reserved" = "inventory.StockReservedV1"'
        )
    return tuple(sorted(table.items()))


def _url(name: str, spec: Mapping[str, Any], required: bool, source: Path) -> str:
    url = spec.get("url", "")
    if not isinstance(url, str) or (required and not url.startswith(("http://", "https://"))):
        raise TopologyError(f'{source.name}: service {name!r} has no address (url = "http://host:port")')
    return url.rstrip("/")
