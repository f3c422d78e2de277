"""Helpers for the extraction script's tests: a copy of the project to run it in, snapshots, runs.

The script always runs as a subprocess, in a copy, exactly as a person runs it: the working tree's
own topology.toml and deploy/ are never touched.
"""

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COPIED = (
    "app",
    "modules",
    "contracts",
    "tests",
    "scripts",
    "manage.py",
    "pyproject.toml",
    "requirements.lock",
    "topology.toml",
    "Makefile",
)
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".startmodule-*")
# Whatever the caller's shell says about services, topologies or databases, the copy uses its own.
CLEARED = ("SERVICE", "TOPOLOGY_FILE", "DATABASE_URL", "PYTHONPATH", "DJANGO_SETTINGS_MODULE")


def copy_project(destination: Path) -> Path:
    destination.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=IGNORED)
        elif source.exists():
            shutil.copy2(source, destination / name)
    return destination


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED and not k.endswith("_DATABASE_URL")}
    return {**env, "NO_COLOR": "1", **extra}


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def extract(project: Path, *args: str, **env: str) -> Run:
    """``python scripts/extract_module.py *args`` in ``project``, with ``env`` added to a clean environment."""
    result = subprocess.run(
        [sys.executable, "scripts/extract_module.py", *args],
        cwd=project,
        env=clean_env(VAR_DIR=str(project / "var"), **env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Run(result.returncode, result.stdout, result.stderr)


def manage(project: Path, *args: str, python: str = sys.executable, **env: str) -> Run:
    result = subprocess.run(
        [python, "manage.py", *args],
        cwd=project,
        env=clean_env(VAR_DIR=str(project / "var"), **env),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return Run(result.returncode, result.stdout, result.stderr)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (bytecode, caches and var/ aside) with its content."""
    skipped = {"__pycache__", "var", ".import_linter_cache", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not skipped.intersection(path.relative_to(root).parts)
    }
