"""Helpers shared by the scaffold tests: a small project tree, snapshots, the command."""

import io
import shutil
from pathlib import Path

from django.core.management import call_command

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def make_project(root: Path) -> Path:
    """The folders the scaffold writes into, and the pyproject.toml whose ruff settings it uses."""
    for package in ("modules", "contracts", "contracts/kernel", "tests", "tests/modules", "tests/contracts"):
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").touch()
    shutil.copy2(PROJECT_ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its content (None for a folder)."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes() if path.is_file() else None
        for path in sorted(root.rglob("*"))
    }


def startmodule(*args: str) -> str:
    """Run the command in this process; returns what it printed."""
    out = io.StringIO()
    call_command("startmodule", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()
