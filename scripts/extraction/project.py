"""What the script reads: the project's modules and its topology, resolved by ``app.topology`` exactly
as a running process resolves it (the script needs no Django and no database)."""

import os
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.modules import contract_only_modules, discover_modules
from app.topology import DEFAULT_SERVICE, EVERYTHING_ELSE, Service, Topology, TopologyError, load_topology

DEFAULT_HOST = "127.0.0.1"
FIRST_SERVICE_PORT = 8001


class RefusedError(Exception):
    """Why the script will not go on, in one line. Raised before anything is written."""


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def topology_path(self) -> Path:
        """``TOPOLOGY_FILE`` when set (as for every process), else ``topology.toml``."""
        override = os.environ.get("TOPOLOGY_FILE")
        return Path(override).resolve() if override else self.root / "topology.toml"

    @property
    def topology_overridden(self) -> bool:
        return self.topology_path != self.root / "topology.toml"

    @property
    def deploy_dir(self) -> Path:
        return self.root / "deploy"

    def modules(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in discover_modules(self.root / "modules"))

    def contract_only(self) -> tuple[str, ...]:
        return contract_only_modules(self.root / "modules", self.root / "contracts")

    def display(self, path: Path) -> str:
        """``path`` relative to the project root when it is inside it."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def hosting(self, text: str | None = None) -> "Hosting":
        """The topology (the file, or ``text`` as if it were the file), resolved against the modules."""
        if text is None:
            text = self.topology_path.read_text() if self.topology_path.exists() else ""
        return Hosting.parse(text, modules=self.modules(), contract_only=self.contract_only())


@dataclass(frozen=True)
class Hosting:
    """Who hosts what: the services as written (``declared``) and as resolved (``topology``)."""

    text: str
    declared: Mapping[str, tuple[str, ...]]
    topology: Topology
    main: str  # the service that keeps every module not extracted: the "*" one, else "monolith"

    @classmethod
    def parse(cls, text: str, *, modules: tuple[str, ...], contract_only: tuple[str, ...] = ()) -> "Hosting":
        """Resolved as the file's ``default_service`` (else the main service) would resolve it."""
        raw = _toml(text)
        table = raw.get("services")
        services: dict[str, Any] = table if isinstance(table, dict) else {}
        declared = {name: tuple(spec.get("modules", ())) for name, spec in services.items() if isinstance(spec, dict)}
        main = next((name for name, mods in declared.items() if EVERYTHING_ELSE in mods), None)
        main = main or (DEFAULT_SERVICE if DEFAULT_SERVICE in declared else None)
        if text.strip() and main is None:
            raise RefusedError(
                f'topology.toml has no main service (one with modules = ["*"], or one named {DEFAULT_SERVICE})'
            )
        current = raw.get("default_service") or main or DEFAULT_SERVICE
        topology = _resolve(text, modules=modules, contract_only=contract_only, service=str(current))
        return cls(text=text, declared=declared, topology=topology, main=main or DEFAULT_SERVICE)

    def service(self, name: str) -> Service | None:
        return next((s for s in self.topology.services if s.name == name), None)

    def host_of(self, module: str) -> Service:
        return self.topology.service_of(module)

    def is_extracted(self, module: str) -> bool:
        return self.host_of(module).name != self.main

    def ports(self) -> dict[int, Service]:
        return {port: s for s in self.topology.services if (port := url_port(s.url)) is not None}

    def free_port(self) -> int:
        taken = self.ports()
        return next(port for port in range(FIRST_SERVICE_PORT, 65536) if port not in taken)


def service_url(host: str, port: int) -> str:
    return f"http://{host}:{port}"


def url_port(url: str) -> int | None:
    try:
        parts = urlsplit(url)
        return parts.port or ({"http": 80, "https": 443}.get(parts.scheme) if parts.hostname else None)
    except ValueError:
        return None


def url_host(url: str) -> str:
    return urlsplit(url).hostname or DEFAULT_HOST


def _toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RefusedError(f"topology.toml is not valid TOML: {error}") from None


def _resolve(text: str, *, modules: tuple[str, ...], contract_only: tuple[str, ...], service: str) -> Topology:
    """``app.topology.load_topology`` reads a file: give it ``text`` as one, named as the real one."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "topology.toml"
        if text.strip():
            path.write_text(text)
        try:
            return load_topology(path=path, modules=modules, service=service, contract_only=contract_only)
        except TopologyError as error:
            raise RefusedError(f"broken topology: {error}") from None
