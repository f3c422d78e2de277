"""`startmodule` run in this process against a scratch project: refusals, --dry-run, atomic writes."""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError

from app.scaffold import write
from app.scaffold.create import create_module
from app.scaffold.plan import SAMPLE_ONLY, build_plan
from tests.scaffold.support import PROJECT_ROOT, snapshot, startmodule


def nothing(root: Path) -> None:
    pass


def manage_py(root: Path) -> None:
    (root / "manage.py").touch()


def existing_module(root: Path) -> None:
    (root / "modules" / "shipping").mkdir()
    (root / "modules" / "shipping" / "apps.py").write_text("# someone else's module\n")


def existing_contract(root: Path) -> None:
    (root / "contracts" / "shipping").mkdir()
    (root / "contracts" / "shipping" / "__init__.py").touch()


def dirty_module_folder(root: Path) -> None:
    (root / "modules" / "shipping").mkdir()
    (root / "modules" / "shipping" / "draft.py").write_text("x = 1\n")


def dirty_tests_folder(root: Path) -> None:
    (root / "tests" / "modules" / "shipping").mkdir()
    (root / "tests" / "modules" / "shipping" / "test_old.py").write_text("")


def topology_without_catch_all(root: Path) -> None:
    (root / "topology.toml").write_text('[services.monolith]\nmodules = []\nurl = "http://127.0.0.1:8000"\n')


REFUSALS: list[tuple[str, list[str], Callable[[Path], None], str]] = [
    ("not-an-identifier", ["ship-ping"], nothing, "not a valid module name"),
    ("uppercase", ["Shipping"], nothing, "not a valid module name"),
    ("too-long", ["s" * 31], nothing, "too long"),
    ("keyword", ["class"], nothing, "Python keyword"),
    ("soft-keyword", ["match"], nothing, "Python keyword"),
    ("stdlib", ["json"], nothing, "standard-library module"),
    ("stdlib-2", ["queue"], nothing, "standard-library module"),
    ("reserved-app", ["app"], nothing, "reserved"),
    ("reserved-contracts", ["contracts"], nothing, "reserved"),
    ("reserved-kernel", ["kernel"], nothing, "reserved"),
    ("reserved-modules", ["modules"], nothing, "reserved"),
    ("reserved-tests", ["tests"], nothing, "reserved"),
    ("reserved-platform", ["platform"], nothing, "standard-library module"),
    ("top-level-module", ["manage"], manage_py, "top-level package or module of this project"),
    ("django-label-auth", ["auth"], nothing, "label of an installed Django app"),
    ("django-label-admin", ["admin"], nothing, "label of an installed Django app"),
    ("django-label-sessions", ["sessions"], nothing, "label of an installed Django app"),
    ("module-label", ["inventory"], nothing, "label of an installed Django app"),
    ("database-alias", ["default"], nothing, "database alias"),
    ("existing-module", ["shipping"], existing_module, "already exists"),
    ("existing-contract", ["shipping"], existing_contract, "contract package named 'shipping'"),
    ("dirty-module-folder", ["shipping"], dirty_module_folder, "modules/shipping/ exists and is not empty"),
    ("dirty-tests-folder", ["shipping"], dirty_tests_folder, "tests/modules/shipping/ exists and is not"),
    ("bad-entity", ["shipping", "--entity", "parcel-label"], nothing, "not a valid entity name"),
    ("shadowing-entity", ["shipping", "--entity", "Router"], nothing, "shadow a name"),
    ("topology-without-catch-all", ["shipping"], topology_without_catch_all, "no service hosts shipping"),
    ("entity-without-sample", ["shipping", "--bare", "--entity", "parcel"], nothing, "use one of them"),
]


@pytest.mark.parametrize(("args", "setup", "reason"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_a_refusal_is_one_line_and_writes_nothing(
    project: Path, args: list[str], setup: Callable[[Path], None], reason: str
) -> None:
    setup(project)
    before = snapshot(project)

    with pytest.raises(CommandError, match=reason) as refused:
        startmodule(*args)

    assert "\n" not in str(refused.value)
    assert snapshot(project) == before


def test_from_the_command_line_a_refusal_is_one_line_on_stderr_and_a_failing_exit() -> None:
    # "json" is refused before anything is looked at on disk, so the real project is safe.
    result = subprocess.run(
        [sys.executable, "manage.py", "startmodule", "json"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "app.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "CommandError: cannot create module 'json': 'json' is a standard-library module name; pick a domain word"
    ]


def test_dry_run_lists_every_file_with_its_role_and_writes_nothing(project: Path) -> None:
    before = snapshot(project)

    output = startmodule("shipping", "--dry-run")

    assert snapshot(project) == before
    assert output.splitlines()[0] == "Would create module 'shipping' (27 files; nothing written):"
    assert "modules/shipping/services.py" in output
    assert "contracts/shipping/interface.py" in output
    assert "tests/modules/shipping/test_api.py" in output
    assert "atomic on <name>, publish events" in output  # the anatomy, annotated


def test_no_sample_leaves_out_the_sample_entitys_files(project: Path) -> None:
    output = startmodule("shipping", "--no-sample", "--dry-run")

    assert "migrations/0001_initial.py" not in output
    assert "demo.py" not in output
    assert "modules/shipping/models.py" in output
    assert output == startmodule("shipping", "--bare", "--dry-run")


def test_a_module_is_written_with_every_planned_file_and_nothing_else(project: Path) -> None:
    before = snapshot(project)

    output = startmodule("shipping")

    created = set(snapshot(project)) - set(before)
    files = {path for path in created if (project / path).is_file()}
    assert files == {str(p) for p in build_plan(name="shipping", sample=True, root=project).paths}
    assert "Created module 'shipping' (27 files)" in output
    assert not list(project.glob(f"{write.STAGING_PREFIX}*"))
    assert "class ShippingItemOut(Schema):" in (project / "modules/shipping/schemas.py").read_text()


def test_a_second_module_and_a_bare_one_are_written_next_to_the_first(project: Path) -> None:
    startmodule("shipping")
    startmodule("billing", "--entity", "Invoice")
    startmodule("ledger", "--no-sample")

    assert sorted(p.parent.name for p in (project / "modules").glob("*/apps.py")) == [
        "billing",
        "ledger",
        "shipping",
    ]
    assert "def invoice_create(*, name: str) -> Invoice:" in (project / "modules/billing/services.py").read_text()
    assert not (project / "modules/ledger/migrations/0001_initial.py").exists()
    with pytest.raises(CommandError, match="already exists"):
        startmodule("billing")


def test_a_topology_with_a_catch_all_service_hosts_the_new_module_unchanged(project: Path) -> None:
    topology = '[services.monolith]\nmodules = ["*"]\nurl = "http://127.0.0.1:8000"\n'
    (project / "topology.toml").write_text(topology)

    startmodule("shipping")

    assert (project / "topology.toml").read_text() == topology
    assert (project / "modules" / "shipping" / "apps.py").is_file()


def test_missing_package_markers_are_created_and_existing_ones_left_alone(project: Path) -> None:
    (project / "tests" / "modules" / "__init__.py").unlink()
    (project / "tests" / "__init__.py").write_text('"""Mine."""\n')

    startmodule("shipping")

    assert (project / "tests" / "modules" / "__init__.py").read_text() == ""
    assert (project / "tests" / "__init__.py").read_text() == '"""Mine."""\n'


def test_a_failure_half_way_through_the_moves_leaves_no_partial_files(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(project)
    real_move = write.move
    calls: list[Path] = []

    def fail_on_the_second_move(source: Path, target: Path) -> None:
        calls.append(target)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_move(source, target)

    monkeypatch.setattr(write, "move", fail_on_the_second_move)

    with pytest.raises(CommandError, match="nothing written: OSError"):
        startmodule("shipping")

    assert len(calls) == 2  # one folder was already in place when the second move failed
    assert snapshot(project) == before


def test_an_interrupt_while_moving_rolls_back_too(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(project)
    real_move = write.move

    def interrupted(source: Path, target: Path) -> None:
        real_move(source, target)
        if target.name == "shipping" and target.parent.name == "modules":
            raise KeyboardInterrupt

    monkeypatch.setattr(write, "move", interrupted)

    with pytest.raises(KeyboardInterrupt):
        startmodule("shipping")

    assert snapshot(project) == before


def test_a_failing_post_processing_step_writes_nothing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(project)

    def broken_ruff(*args: object, **kwargs: object) -> bool:
        raise OSError("ruff crashed")

    monkeypatch.setattr("app.scaffold.create.tidy", broken_ruff)

    with pytest.raises(CommandError, match="ruff crashed"):
        startmodule("shipping")

    assert snapshot(project) == before


def test_help_explains_the_anatomy_and_the_layers(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        startmodule("--help")

    text = capsys.readouterr().out
    assert "modules/<name>/facade.py" in text
    assert "contracts/<name>/events.py" in text
    assert "--no-sample, --bare" in text
    assert "--dry-run" in text
    assert "Layers, enforced by import-linter" in text  # read from pyproject.toml, not copied


def test_every_sample_only_template_exists() -> None:
    from app.scaffold.plan import template_names

    assert set(template_names()) >= SAMPLE_ONLY


def test_scaffolding_takes_well_under_a_second_in_process(project: Path) -> None:
    outcome = create_module("shipping", root=project, app_labels=(), database_aliases=("default",))

    print(f"\nscaffold in process: {outcome.seconds * 1000:.0f} ms for {len(outcome.plan.files)} files")
    assert outcome.written
    assert outcome.seconds < 5  # typically ~50 ms, most of it ruff
