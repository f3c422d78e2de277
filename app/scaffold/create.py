"""The whole scaffold in one call: check the names, plan, render in memory, then write atomically."""

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from app.scaffold.names import RefusedError, check_entity_name, check_module_name, module_names
from app.scaffold.plan import Plan, build_plan
from app.scaffold.render import context_for, render_plan
from app.scaffold.tidy import find_ruff, tidy
from app.scaffold.write import write_atomically
from app.topology import DEFAULT_SERVICE, TopologyError, load_topology

DEFAULT_ENTITY = "item"


@dataclass(frozen=True, kw_only=True)
class Outcome:
    plan: Plan
    written: bool  # False for a dry run
    tidied: bool  # ruff sorted and formatted the files
    seconds: float


def create_module(
    name: str,
    *,
    root: Path,
    app_labels: Iterable[str],
    database_aliases: Iterable[str],
    entity: str = DEFAULT_ENTITY,
    sample: bool = True,
    dry_run: bool = False,
    topology: Path | None = None,
    service: str = DEFAULT_SERVICE,
) -> Outcome:
    """Create module ``name`` under ``root``; raises ``RefusedError`` before touching anything."""
    started = time.perf_counter()
    check_module_name(name, root=root, app_labels=app_labels, database_aliases=database_aliases)
    _check_topology(name, root=root, path=topology or root / "topology.toml", service=service)
    names = module_names(name, entity=check_entity_name(entity) if sample else None)
    plan = build_plan(name=name, sample=sample, root=root)
    files = render_plan(plan, context_for(names))
    _check_python(files)
    if dry_run:
        return Outcome(plan=plan, written=False, tidied=False, seconds=time.perf_counter() - started)
    ruff = find_ruff()
    write_atomically(root, files, post_process=lambda staged: tidy(staged, config=root / "pyproject.toml", ruff=ruff))
    return Outcome(plan=plan, written=True, tidied=ruff is not None, seconds=time.perf_counter() - started)


def _check_topology(name: str, *, root: Path, path: Path, service: str) -> None:
    """A new module is hosted by the service whose modules include "*"; without one, refuse.

    (Listing the module in a service by hand is a deployment decision, not the scaffold's.)
    """
    if not path.exists():
        return  # no topology: the monolith hosts every module
    modules = sorted({apps_file.parent.name for apps_file in (root / "modules").glob("*/apps.py")} | {name})
    try:
        load_topology(path=path, modules=modules, service=service)
    except TopologyError as error:
        raise RefusedError(f"{error}; list '{name}' in a service of {path.name} first") from None


def _check_python(files: dict[PurePosixPath, str]) -> None:
    """A template bug surfaces here, before anything is written, rather than at import time."""
    for path, source in files.items():
        if path.suffix == ".py":
            compile(source, str(path), "exec", dont_inherit=True)
