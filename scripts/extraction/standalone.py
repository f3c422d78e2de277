"""--standalone DIR: an independent project for one extracted service.

It holds what the service runs and nothing else:
- ``modules/<module>/``, the module's code;
- ``contracts/kernel`` and every contract package that the module, its tests or ``app/`` import
  (its own, and e.g. the contracts whose events its handlers consume);
- ``app/`` whole (the composition root is generic; pruning it per module would only save a few files);
- ``manage.py``, ``requirements.lock`` (a copy: the same versions as the monolith), a
  ``pyproject.toml`` (the monolith's, renamed), ``.gitignore``;
- ``tests/modules/<module>/`` with the conftest files above it and any ``tests.*`` helper they import;
- a ``topology.toml`` in which the service is the default one and the other services keep their
  addresses: a module known there only by its contract is reached over HTTP, and the subscribers
  of this module's events that live elsewhere are declared, so its relay still sends them their
  events through Celery (see app/topology.py);
- ``deploy/`` for this one service, and a README.
"""

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import tomlkit
from tomlkit.items import Table

from app.topology import EVERYTHING_ELSE
from scripts.extraction.deployment import deployment_files
from scripts.extraction.imports import imported, python_files, within
from scripts.extraction.project import Hosting, Project, RefusedError

COPIED_FILES = ("manage.py", "requirements.lock", ".gitignore")

SUBSCRIPTIONS_PROGRAM = """
import json
import django
django.setup()
from app.bootstrap import runtime
print(json.dumps([[s.id, s.event_type.event_type()] for s in runtime().subscriptions]))
"""


@dataclass(frozen=True)
class Standalone:
    module: str
    files: dict[str, bytes]  # path relative to the standalone project -> content
    contracts: tuple[str, ...]  # contract packages copied
    subscribers: tuple[tuple[str, str], ...]  # (subscriber id, event type) declared in its topology

    def summary(self) -> list[str]:
        """The files grouped by folder (by package under modules/ and contracts/)."""
        groups: dict[str, int] = {}
        for path in self.files:
            parts = path.split("/")
            deep = parts[0] in ("modules", "contracts") and len(parts) > 2
            key = "/".join(parts[:2]) + "/" if deep else (parts[0] + "/" if len(parts) > 1 else path)
            groups[key] = groups.get(key, 0) + 1
        return [f"{key} ({n} file{'s' * (n != 1)})" if key.endswith("/") else key for key, n in sorted(groups.items())]


def export(project: Project, module: str, *, after: Hosting, service_url: str) -> Standalone:
    """What DIR will hold. ``after``: the monolith's topology once the module is extracted."""
    files: dict[str, bytes] = {}
    for folder in ("app", f"modules/{module}"):
        _copy_tree(project.root, project.root / folder, files)
    for name in ("modules/__init__.py", "contracts/__init__.py", *COPIED_FILES):
        if (project.root / name).exists():
            files[name] = (project.root / name).read_bytes()
    for path in _tests(project.root, module):
        files[path.relative_to(project.root).as_posix()] = path.read_bytes()
    contracts = _contracts(project.root, files)
    for contract in contracts:
        _copy_tree(project.root, project.root / "contracts" / contract, files)
    subscribers = _subscribers_elsewhere(project, module)
    known = {c for c in contracts if (project.root / "contracts" / c / "interface.py").exists()}
    topology = standalone_topology(after, module, known=known, subscribers=subscribers, url=service_url)
    files["topology.toml"] = topology.encode()
    files["pyproject.toml"] = _pyproject(project.root / "pyproject.toml", module).encode()
    files["README.md"] = _readme(module, after.main, contracts, subscribers).encode()
    hosting = Hosting.parse(topology, modules=(module,), contract_only=tuple(sorted(known - {module})))
    for name, content in deployment_files(hosting, services=[module]).items():
        files[name] = content.encode()
    return Standalone(module=module, files=files, contracts=contracts, subscribers=subscribers)


def standalone_topology(
    after: Hosting, module: str, *, known: set[str], subscribers: Iterable[tuple[str, str]], url: str
) -> str:
    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"The {module} service, exported from the modular monolith by"))
    doc.add(tomlkit.comment("`scripts/extract_module.py --standalone`. This project holds only its code: the other"))
    doc.add(tomlkit.comment("services run the modules whose contracts it uses and the subscribers of its events"))
    doc.add(tomlkit.comment("(see app/topology.py). Keep their addresses in step with the monolith's topology.toml."))
    doc.add("default_service", module)
    services = tomlkit.table(is_super_table=True)
    own = tomlkit.table()
    own.add("modules", [module])
    own.add("url", url)
    services.add(module, own)
    for service in after.topology.services:
        if service.name == after.host_of(module).name:
            continue
        declared = after.declared.get(service.name, ())
        modules = [EVERYTHING_ELSE] if EVERYTHING_ELSE in declared else [m for m in declared if m in known]
        subs = {sid: event for sid, event in subscribers if after.host_of(sid.split(".")[0]).name == service.name}
        if not modules and not subs:
            continue
        table = tomlkit.table()
        table.add("modules", modules)
        table.add("url", service.url)
        if subs:
            table.add("subscribers", _subscriber_table(subs))
        services.add(service.name, table)
    doc.add("services", services)
    return tomlkit.dumps(doc)


def _subscriber_table(subscribers: dict[str, str]) -> Table:
    table = tomlkit.table()
    table.add(tomlkit.comment("subscriber id = the event type it consumes; their code runs in this service"))
    for subscriber, event in sorted(subscribers.items()):
        table.add(subscriber, event)
    return table


def _copy_tree(root: Path, folder: Path, files: dict[str, bytes]) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files[path.relative_to(root).as_posix()] = path.read_bytes()


def _tests(root: Path, module: str) -> list[Path]:
    """tests/modules/<module>/, the __init__ and conftest files above it, and the tests.* helpers
    they import (followed until nothing new comes in)."""
    tests = root / "tests"
    wanted = set(python_files(tests / "modules" / module))
    pending = list(wanted)
    while pending:
        path = pending.pop()
        extra = _package_files(tests, path.parent)
        for name, _ in imported(path):
            if within(name, "tests"):
                extra += _module_files(root, name)
        for found in set(extra) - wanted:
            wanted.add(found)
            pending.append(found)
    return sorted(wanted)


def _package_files(tests: Path, folder: Path) -> list[Path]:
    """The __init__.py and conftest.py of ``folder`` and of every folder up to tests/."""
    found = []
    while folder == tests or tests in folder.parents:
        found += [folder / name for name in ("__init__.py", "conftest.py") if (folder / name).exists()]
        folder = folder.parent
    return found


def _module_files(root: Path, dotted: str) -> list[Path]:
    base = root.joinpath(*dotted.split("."))
    return [p for p in (base.with_suffix(".py"), base / "__init__.py") if p.exists()]


def _contracts(root: Path, files: dict[str, bytes]) -> tuple[str, ...]:
    """``kernel`` and every contract package imported by the copied files or by those packages."""
    needed = {"kernel"}
    scanned: set[Path] = set()
    pending = [root / path for path in files if path.endswith(".py")]
    while pending:
        path = pending.pop()
        scanned.add(path)
        for name, _ in imported(path):
            parts = name.split(".")
            if parts[0] == "contracts" and len(parts) > 1 and (root / "contracts" / parts[1]).is_dir():
                needed.add(parts[1])
        for contract in needed:
            pending += [p for p in python_files(root / "contracts" / contract) if p not in scanned and p not in pending]
    return tuple(sorted(needed))


def _subscribers_elsewhere(project: Project, module: str) -> tuple[tuple[str, str], ...]:
    """The other modules' subscriptions to this module's events, as a process of the monolith sees them."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "app.settings", "PYTHONPATH": str(project.root)}
    env.pop("SERVICE", None)
    result = subprocess.run(
        [sys.executable, "-c", SUBSCRIPTIONS_PROGRAM],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise RefusedError(f"cannot list the subscriptions (Django does not start: {last})")
    table = json.loads(result.stdout.strip().splitlines()[-1])
    return tuple(
        sorted((sid, event) for sid, event in table if event.split(".")[0] == module and sid.split(".")[0] != module)
    )


def _pyproject(path: Path, module: str) -> str:
    doc = tomlkit.parse(path.read_text())
    project = doc["project"]
    if isinstance(project, Table):
        project["name"] = f"{module}-service"
        project["description"] = (
            f"The {module} service, exported from the modular monolith by scripts/extract_module.py --standalone."
        )
    return tomlkit.dumps(doc)


def _readme(module: str, main: str, contracts: tuple[str, ...], subscribers: Iterable[tuple[str, str]]) -> str:
    others = [c for c in contracts if c not in ("kernel", module)]
    subs = "".join(f"- `{sid}` consumes `{event}`\n" for sid, event in subscribers) or "- none\n"
    return f"""# The {module} service

Exported from the modular monolith by `scripts/extract_module.py {module} --standalone DIR`: the
`{module}` module, the contracts it uses (`{"`, `".join(contracts)}`), the composition root (`app/`,
copied whole), its tests, and the monolith's locked dependencies. It is the service named
`{module}` in `topology.toml` (`default_service`), so no `SERVICE` variable is needed.

```sh
python -m venv .venv && .venv/bin/pip install -r requirements.lock
.venv/bin/pytest tests/modules/{module}          # its own tests
.venv/bin/lint-imports                             # its boundaries
.venv/bin/python manage.py migrate                 # its databases (SQLite under var/db/ by default)
```

Its processes are in `deploy/Procfile` (web, relay, worker on the `{module}` queue), with their
environment in `deploy/{module}.env`; `deploy/docker-compose.yml` runs the same with PostgreSQL and Redis.

What it knows of the rest of the system is in `topology.toml`:
- modules reached over HTTP through their contracts: {", ".join(f"`{c}`" for c in others) or "none"}
  (served by the `{main}` service unless the topology names another);
- subscribers elsewhere that its relay sends events to, through Celery on their module's queue:
{subs}
When the monolith's topology changes (an address, another extraction), update `topology.toml` here
to match, or export again.
"""
