"""Every import-linter contract in pyproject.toml can fail, and fails for the reason it exists.

A contract that never breaks proves nothing (a typo in a module name, a wildcard matching nothing),
so each one is shown a copy of the project with one violation injected and must report it by name.
"""

import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("app", "modules", "contracts", "pyproject.toml", "manage.py")


@dataclass(frozen=True, kw_only=True)
class Violation:
    contract_id: str
    path: str  # relative to the project root; created if missing
    code: str  # appended to the file: import-linter reads imports anywhere in a module
    why: str

    @property
    def test_id(self) -> str:
        return f"{self.contract_id}:{self.why}"


VIOLATIONS = (
    Violation(
        contract_id="layers",
        path="modules/orders/services.py",
        code="import app.databases",
        why="a module imports the composition root",
    ),
    Violation(
        contract_id="layers",
        path="contracts/kernel/errors.py",
        code="import modules.orders.domain",
        why="a contract imports a module",
    ),
    Violation(
        contract_id="modules-independent",
        path="modules/orders/services.py",
        code="from modules.inventory.models import Product",
        why="a module imports another module's models",
    ),
    Violation(
        contract_id="modules-independent",
        path="contracts/kernel/errors.py",
        code="import modules.orders.domain",
        why="modules reach each other indirectly, through the kernel",
    ),
    Violation(
        contract_id="contracts-independent",
        path="contracts/orders/dto.py",
        code="from contracts.inventory.dto import ProductPrice",
        why="a contract imports another module's contract",
    ),
    Violation(
        contract_id="contracts-independent",
        path="contracts/kernel/registry.py",
        code="import contracts.orders.dto",
        why="the kernel imports a module's contract",
    ),
    Violation(
        contract_id="contracts-framework-free",
        path="contracts/orders/dto.py",
        code="import django",
        why="a contract imports django",
    ),
    Violation(
        contract_id="contracts-framework-free",
        path="contracts/kernel/events.py",
        code="from pydantic import BaseModel",
        why="the kernel imports pydantic",
    ),
    Violation(
        contract_id="module-anatomy",
        path="modules/inventory/selectors.py",
        code="from modules.inventory import services",
        why="a selector imports a service (upwards)",
    ),
    Violation(
        contract_id="module-anatomy",
        path="modules/orders/api.py",
        code="from modules.orders import facade",
        why="the api imports its sibling facade",
    ),
    Violation(
        contract_id="module-anatomy",
        path="modules/orders/utils.py",
        code="def helper() -> None: ...",
        why="a file with no place in the anatomy",
    ),
)


def configured_contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    return {contract["id"]: contract for contract in config["tool"]["importlinter"]["contracts"]}


def lint_imports_executable() -> str:
    # The one installed next to the interpreter running the tests, i.e. the project's venv.
    candidate = Path(sys.executable).with_name("lint-imports")
    found = str(candidate) if candidate.exists() else shutil.which("lint-imports")
    assert found, "lint-imports is not installed (pip install import-linter)"
    return found


def copy_project(destination: Path) -> Path:
    for name in SOURCES:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, destination / name)
    return destination


def inject(project: Path, violation: Violation) -> None:
    target = project / violation.path
    existing = target.read_text() if target.exists() else ""
    target.write_text(f"{existing}\n{violation.code}\n")


def run_lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    # import-linter finds root packages on sys.path (it prepends the cwd). PYTHONPATH is set too,
    # so the copy, never the working tree, is what gets analysed whatever the caller's environment.
    # A wide, colourless terminal keeps each "<contract name> BROKEN" line on one line.
    env = {**os.environ, "PYTHONPATH": str(project), "COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run(
        [lint_imports_executable(), "--no-cache", "--no-logo"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def first_guidance_line(contract: dict[str, Any]) -> str:
    guidance = str(contract["broken_contract_guidance"])
    return next(line for line in guidance.splitlines() if line.strip())


def test_the_unmodified_project_keeps_every_contract(tmp_path: Path) -> None:
    result = run_lint_imports(copy_project(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    for contract in configured_contracts().values():
        assert f"{contract['name']} KEPT" in result.stdout


@pytest.mark.parametrize("violation", VIOLATIONS, ids=lambda v: v.test_id)
def test_an_injected_violation_breaks_its_contract(tmp_path: Path, violation: Violation) -> None:
    project = copy_project(tmp_path)
    inject(project, violation)
    contract = configured_contracts()[violation.contract_id]

    result = run_lint_imports(project)

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"{contract['name']} BROKEN" in output, output
    assert first_guidance_line(contract) in output, "the fix-it guidance is not shown"


def test_every_contract_has_guidance_and_a_proven_violation() -> None:
    contracts = configured_contracts()

    assert {v.contract_id for v in VIOLATIONS} == set(contracts)
    assert [cid for cid, c in contracts.items() if not c.get("broken_contract_guidance")] == []
