"""Writing a new module all at once, or not at all.

Everything is written into a staging folder inside the project (same filesystem, so a move is a
rename), post-processed there, and then moved into place: each new top-most folder or file is one
``rename``. If anything fails, whatever was already moved is removed again and the staging folder
is deleted, so the project is left exactly as it was. Existing files are never touched.
"""

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath

STAGING_PREFIX = ".startmodule-"


def write_atomically(
    root: Path,
    files: Mapping[PurePosixPath, str],
    *,
    post_process: Callable[[Sequence[Path]], object] | None = None,
) -> list[Path]:
    """Create ``files`` (paths relative to ``root``); returns the paths moved into place."""
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))
    attempted: list[tuple[Path, Path]] = []
    try:
        staged = [_stage(staging, path, content) for path, content in files.items()]
        if post_process is not None:
            post_process(staged)
        for source, target in moves(staging, root):
            attempted.append((source, target))
            move(source, target)
    except BaseException:
        # Whatever left the staging folder is in place now, even if the error came right after.
        _roll_back([target for source, target in attempted if not _exists(source)])
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [target for _, target in attempted]


def moves(staging: Path, root: Path) -> list[tuple[Path, Path]]:
    """The top-most staged entries whose target does not exist yet (descending into those that do)."""
    pairs: list[tuple[Path, Path]] = []
    for source in sorted(staging.iterdir()):
        target = root / source.name
        if not _exists(target):
            pairs.append((source, target))
        elif source.is_dir() and target.is_dir():
            pairs.extend(moves(source, target))
        else:
            raise FileExistsError(f"{target} appeared while the module was being written")
    return pairs


def move(source: Path, target: Path) -> None:
    if _exists(target):
        raise FileExistsError(f"{target} appeared while the module was being written")
    os.rename(source, target)


def _stage(staging: Path, path: PurePosixPath, content: str) -> Path:
    if path.is_absolute() or ".." in path.parts:
        raise ValueError(f"refusing to write outside the project: {path}")
    staged = staging.joinpath(*path.parts)
    staged.parent.mkdir(parents=True, exist_ok=True)
    with staged.open("x", encoding="utf-8", newline="\n") as handle:
        handle.write(content)
    return staged


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _roll_back(moved: list[Path]) -> None:
    for target in reversed(moved):
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
