"""The refusals. Each check raises ``RefusedError`` with a one-line reason; the CLI runs them all before
anything is written, cheapest first (lint-imports last: the import scan names the usual culprit)."""

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from scripts.extraction.imports import imported, python_files, within
from scripts.extraction.project import Hosting, Project, RefusedError


def module_exists(project: Project, module: str) -> None:
    modules = project.modules()
    if module not in modules:
        raise RefusedError(
            f"no module {module!r}: modules/{module}/apps.py does not exist (modules: {', '.join(modules) or 'none'})"
        )


def extractable(hosting: Hosting, module: str) -> None:
    host = hosting.host_of(module)
    if hosting.is_extracted(module):
        raise RefusedError(
            f"{module!r} is already extracted: service {host.name!r} hosts it ({host.url}); "
            f"merge it back first with --merge {module}"
        )
    clash = hosting.service(module)
    if clash is not None:
        raise RefusedError(f"a service named {module!r} already exists (it hosts: {_listed(clash.modules)})")


def mergeable(hosting: Hosting, module: str) -> None:
    if not hosting.is_extracted(module):
        raise RefusedError(f"{module!r} is not extracted: the main service {hosting.main!r} hosts it, nothing to merge")


def no_importers(project: Project, module: str) -> None:
    """Another module importing this one would break the day it runs elsewhere (lint-imports says so
    too, as a broken independence contract; this says which file)."""
    for importer, path, line in _imports_of(project, f"modules.{module}"):
        raise RefusedError(
            f"modules.{importer} imports modules.{module} ({project.display(path)}:{line}): "
            f"other modules may reach {module} only through contracts.{module}"
        )


def lint_imports(project: Project) -> None:
    executable = _lint_imports_executable()
    if executable is None:
        raise RefusedError("lint-imports is not installed (pip install -r requirements.lock)")
    # import-linter finds the root packages on sys.path: the project's, whatever the caller's environment.
    env = {**os.environ, "PYTHONPATH": str(project.root), "NO_COLOR": "1", "COLUMNS": "250", "TERM": "dumb"}
    result = subprocess.run(
        [executable, "--no-cache", "--no-logo"],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).splitlines()
        broken = [line.strip() for line in output if line.strip().endswith("BROKEN")]
        reason = "; ".join(broken) or next((line.strip() for line in reversed(output) if line.strip()), "")
        raise RefusedError(f"lint-imports fails, fix the module boundaries first: {reason}")


def port_free(hosting: Hosting, port: int) -> None:
    owner = hosting.ports().get(port)
    if owner is not None:
        raise RefusedError(f"port {port} is taken by service {owner.name!r} ({owner.url}): choose another with --port")


def standalone_target(project: Project, directory: Path) -> None:
    target = directory.resolve()
    if target == project.root or project.root in target.parents:
        raise RefusedError(f"--standalone {directory}: choose a directory outside this project")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise RefusedError(f"--standalone {directory}: the directory exists and is not empty")


def _listed(names: tuple[str, ...]) -> str:
    return ", ".join(names) or "nothing"


def _imports_of(project: Project, target: str) -> Iterator[tuple[str, Path, int]]:
    """(importing module, file, line) for every import of ``target`` in another module's package."""
    owner = target.split(".")[1]
    for module in project.modules():
        if module == owner:
            continue
        for path in python_files(project.root / "modules" / module):
            for name, line in imported(path):
                if within(name, target):
                    yield module, path, line
                    break


def _lint_imports_executable() -> str | None:
    # The one next to the interpreter running this script (the project's venv), else on PATH.
    candidate = Path(sys.executable).with_name("lint-imports")
    return str(candidate) if candidate.exists() else shutil.which("lint-imports")
