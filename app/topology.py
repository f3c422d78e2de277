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


def load_topology(*, path: Path, modules: Iterable[str], service: str = DEFAULT_SERVICE) -> Topology:
    known = tuple(modules)
    raw = _read(path) if path.exists() else {"services": {DEFAULT_SERVICE: {"modules": [EVERYTHING_ELSE]}}}
    services = _services(raw, known, source=path)
    current = next((s for s in services if s.name == service), None)
    if current is None:
        raise TopologyError(f"{path.name}: SERVICE={service!r} is not one of {', '.join(s.name for s in services)}")
    return Topology(services=services, current=current)


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
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
    return {**owners, **dict.fromkeys(unowned, catch_all[0])}


def _url(name: str, spec: Mapping[str, Any], required: bool, source: Path) -> str:
    url = spec.get("url", "")
    if not isinstance(url, str) or (required and not url.startswith(("http://", "https://"))):
        raise TopologyError(f'{source.name}: service {name!r} has no address (url = "http://host:port")')
    return url.rstrip("/")
