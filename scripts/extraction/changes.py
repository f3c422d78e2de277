"""The files one run writes or removes: listed by --dry-run, otherwise applied in order.

The topology file is queued last, so a failure while writing deploy/ or a standalone project
leaves the running topology as it was.
"""

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Changes:
    root: Path
    writes: dict[Path, bytes] = field(default_factory=dict)
    removals: list[Path] = field(default_factory=list)

    def write(self, path: Path, content: str | bytes) -> None:
        self.writes[path] = content.encode() if isinstance(content, str) else content

    def remove(self, path: Path) -> None:
        self.removals.append(path)

    def status(self, path: Path) -> str:
        if not path.exists():
            return "new"
        return "unchanged" if path.read_bytes() == self.writes[path] else "changed"

    def apply(self) -> None:
        for path, content in self.writes.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.tmp")
            temporary.write_bytes(content)
            temporary.replace(path)
        for path in self.removals:
            path.unlink(missing_ok=True)

    def listing(self, *, exclude: Path | None = None) -> list[str]:
        """One line per file (relative to the project root when inside it) and what happens to it;
        files under ``exclude`` are left out."""
        shown = [p for p in self.writes if exclude is None or not _under(p, exclude)]
        removed = [f"{self._name(p)} (removed)" for p in self.removals]
        return [f"{self._name(p)} ({self.status(p)})" for p in shown] + removed

    def _name(self, path: Path) -> str:
        return str(path.relative_to(self.root)) if _under(path, self.root) else str(path)


def _under(path: Path, base: Path) -> bool:
    return path == base or base in path.parents
