"""Which modules a Python file imports, read with ``ast`` (nothing is executed)."""

import ast
from collections.abc import Iterator
from pathlib import Path


def imported(path: Path) -> Iterator[tuple[str, int]]:
    """(dotted name, line) for each absolute import in ``path``; ``from a.b import c`` yields both
    ``a.b`` and ``a.b.c`` (``c`` may be a module or a name in ``a.b``). A file that does not parse
    yields nothing: lint-imports and the test run report it better."""
    try:
        tree = ast.parse(path.read_text(), filename=str(path))
    except (SyntaxError, UnicodeDecodeError):
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, node.lineno
            for alias in node.names:
                yield f"{node.module}.{alias.name}", node.lineno


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)
