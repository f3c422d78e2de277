"""The module model: which domain modules exist and what each one provides.

A module is found because its package is there (``modules/<name>/apps.py``); everything else
about it follows from naming conventions that the scaffold, the import-linter contracts and the
architecture tests all share:

    modules.<name>.apps            the Django app (label == database alias == <name>)
    modules.<name>.api.router      its ninja Router, mounted at /api/<name>/
    modules.<name>.facade.<Name>Facade          implements contracts.<name>.interface.<Name>Interface
    modules.<name>.handlers.SUBSCRIPTIONS       the events and commands it consumes
    modules.<name>.jobs.JOBS                    its periodic jobs (optional)
"""

from dataclasses import dataclass
from functools import cache
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from typing import Any, cast

from contracts.kernel.jobs import Job
from contracts.kernel.subscriptions import Subscription

MODULES_DIR = Path(__file__).resolve().parent.parent / "modules"
CONTRACTS_DIR = MODULES_DIR.parent / "contracts"


@dataclass(frozen=True)
class ModuleSpec:
    name: str

    @property
    def package(self) -> str:
        return f"modules.{self.name}"

    @property
    def contract_package(self) -> str:
        return f"contracts.{self.name}"

    @property
    def database_alias(self) -> str:
        return self.name

    @property
    def class_prefix(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_"))

    def interface(self) -> type[Any]:
        return cast(type[Any], _attribute(f"{self.contract_package}.interface", f"{self.class_prefix}Interface"))

    def facade(self) -> object:
        return _attribute(f"{self.package}.facade", f"{self.class_prefix}Facade")()

    def router(self) -> Any:
        return _attribute(f"{self.package}.api", "router")

    def subscriptions(self) -> tuple[Subscription, ...]:
        return tuple(_attribute(f"{self.package}.handlers", "SUBSCRIPTIONS"))

    def jobs(self) -> tuple[Job, ...]:
        if find_spec(f"{self.package}.jobs") is None:
            return ()
        return tuple(_attribute(f"{self.package}.jobs", "JOBS"))


def _attribute(module_path: str, name: str) -> Any:
    return getattr(import_module(module_path), name)


@cache
def discover_modules(modules_dir: Path = MODULES_DIR) -> tuple[ModuleSpec, ...]:
    """Every package under ``modules/`` that has an ``apps.py``, sorted by name."""
    names = sorted(p.parent.name for p in modules_dir.glob("*/apps.py"))
    return tuple(ModuleSpec(name) for name in names)


def module_names() -> tuple[str, ...]:
    return tuple(spec.name for spec in discover_modules())


def contract_only_modules(modules_dir: Path = MODULES_DIR, contracts_dir: Path = CONTRACTS_DIR) -> tuple[str, ...]:
    """Modules known here only by their contract (``contracts/<name>/interface.py`` with no
    ``modules/<name>/``): their code runs in another service, which the topology names (by default
    the ``"*"`` one). None in the monolith; in a standalone service project written by
    ``scripts/extract_module.py --standalone``, the modules whose interfaces or events it uses."""
    present = {spec.name for spec in discover_modules(modules_dir)}
    return tuple(sorted(p.parent.name for p in contracts_dir.glob("*/interface.py") if p.parent.name not in present))
