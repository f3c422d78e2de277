"""Which files a new module gets: the template tree, mirrored into the project.

``templates/`` mirrors the project: ``templates/modules/__name__/apps.py-tpl`` becomes
``modules/<name>/apps.py``. Every template is rendered, except those only the sample entity needs
when the module starts without one. Package markers above the module (``tests/modules/__init__.py``)
are created empty when missing and otherwise left alone.
"""

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
SUFFIX = "-tpl"
PLACEHOLDER = "__name__"

# Templates that exist only for the sample entity (skipped by --no-sample).
SAMPLE_ONLY = frozenset(
    {
        "modules/__name__/demo.py-tpl",
        "modules/__name__/migrations/0001_initial.py-tpl",
        "tests/modules/__name__/conftest.py-tpl",
        "tests/modules/__name__/test_domain.py-tpl",
        "tests/modules/__name__/test_services.py-tpl",
    }
)

# Packages that must exist for the new files to be importable, created empty when missing.
PACKAGES = ("modules", "contracts", "tests", "tests/modules", "tests/contracts")


@dataclass(frozen=True, kw_only=True)
class PlannedFile:
    path: PurePosixPath  # relative to the project root
    template: str | None  # relative to TEMPLATES_DIR; None for an empty package marker


@dataclass(frozen=True, kw_only=True)
class Plan:
    name: str
    files: tuple[PlannedFile, ...]

    @property
    def paths(self) -> tuple[PurePosixPath, ...]:
        return tuple(f.path for f in self.files)


def build_plan(*, name: str, sample: bool, root: Path, templates_dir: Path = TEMPLATES_DIR) -> Plan:
    files = [
        PlannedFile(path=_output_path(template, name), template=template)
        for template in template_names(templates_dir)
        if sample or template not in SAMPLE_ONLY
    ]
    markers = [
        PlannedFile(path=PurePosixPath(package, "__init__.py"), template=None)
        for package in PACKAGES
        if not (root / package / "__init__.py").exists()
    ]
    return Plan(name=name, files=tuple(sorted(markers + files, key=lambda f: f.path)))


def template_names(templates_dir: Path = TEMPLATES_DIR) -> list[str]:
    """Every template, as a POSIX path relative to ``templates_dir``, sorted."""
    return sorted(
        path.relative_to(templates_dir).as_posix() for path in templates_dir.rglob(f"*{SUFFIX}") if path.is_file()
    )


def _output_path(template: str, name: str) -> PurePosixPath:
    return PurePosixPath(template.removesuffix(SUFFIX).replace(PLACEHOLDER, name))
