"""Letting ruff put the last touches on the generated files (import order, line wrapping).

Templates are written to be clean as they are for ordinary names, but two things depend on the
name: where ``contracts.<name>`` sorts relative to ``contracts.kernel``, and whether a line with a
long name still fits in the line length. ruff (a dev dependency) settles both with the project's
own configuration. Without ruff the files are still valid Python; the command says so.
"""

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


class TidyError(RuntimeError):
    pass


def find_ruff() -> str | None:
    beside_python = Path(sys.executable).with_name("ruff")
    if beside_python.is_file():
        return str(beside_python)
    try:
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]
    except ImportError:
        return shutil.which("ruff")
    return str(find_ruff_bin())


def tidy(files: Sequence[Path], *, config: Path | None, ruff: str | None) -> bool:
    """Sort imports and format ``files`` in place. False if ruff is not installed."""
    python_files = [str(f) for f in files if f.suffix == ".py"]
    if ruff is None or not python_files:
        return ruff is not None
    settings = ["--config", str(config)] if config is not None and config.is_file() else []
    _run([ruff, "check", "--no-cache", "--quiet", "--fix", "--select", "I", *settings, *python_files])
    _run([ruff, "format", "--no-cache", "--quiet", *settings, *python_files])
    return True


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise TidyError(f"ruff failed on the generated files: {detail[-1] if detail else result.returncode}")
