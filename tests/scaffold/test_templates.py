"""The templates: each has a documented role, renders for any valid name, and yields clean code."""

import subprocess
from pathlib import Path

import pytest

from app.scaffold import anatomy
from app.scaffold.create import create_module
from app.scaffold.names import check_entity_name, module_names
from app.scaffold.plan import PLACEHOLDER, SUFFIX, build_plan, template_names
from app.scaffold.render import RenderError, context_for, render_plan, render_template
from app.scaffold.tidy import find_ruff
from app.scaffold.write import write_atomically
from tests.scaffold.support import PROJECT_ROOT, make_project

VARIANTS = [  # (module, entity or None for --no-sample)
    ("shipping", "item"),
    ("shipping", None),
    ("billing", "invoice"),  # sorts before contracts.kernel: ruff reorders the imports
    ("a", "box"),
    ("parcel_tracking_v2", "ParcelLabel"),
    ("m" * 30, "e" * 30),  # the longest names: ruff rewraps the lines they make too long
]


def role_key(template: str) -> str:
    return template.removesuffix(SUFFIX).replace(PLACEHOLDER, "<name>")


def test_every_template_has_a_role_in_the_anatomy_and_every_role_a_template() -> None:
    keys = {role_key(template) for template in template_names()}

    assert keys == set(anatomy.ROLES)


def test_the_template_tree_holds_the_module_its_contract_and_its_tests() -> None:
    top = {template.split("__name__")[0].rstrip("/_") for template in template_names()}

    assert top == {"modules", "contracts", "tests/modules", "tests/contracts/cases"}


@pytest.mark.parametrize(("name", "entity"), VARIANTS)
def test_every_template_renders_to_python_that_compiles(name: str, entity: str | None, tmp_path: Path) -> None:
    names = module_names(name, entity=check_entity_name(entity) if entity else None)
    plan = build_plan(name=name, sample=entity is not None, root=make_project(tmp_path))

    files = render_plan(plan, context_for(names))

    assert set(files) == set(plan.paths)
    for path, source in files.items():
        compile(source, str(path), "exec", dont_inherit=True)
        assert "{{" not in source
        assert "{%" not in source
        assert f"/{name}/" in str(path) or str(path).endswith(f"/cases_{name}.py")


def test_an_unknown_template_variable_is_an_error_not_an_empty_string(tmp_path: Path) -> None:
    template = tmp_path / "broken.py-tpl"
    template.write_text("class {{ module.camel }}{{ module.typo }}:\n    pass\n")
    names = module_names("shipping", entity=None)

    with pytest.raises(RenderError, match=r"module\.typo"):
        render_template(template, context_for(names))


def test_a_line_holding_only_a_tag_leaves_no_blank_line(tmp_path: Path) -> None:
    template = tmp_path / "lines.py-tpl"
    template.write_text("a = 1\n{% if sample %}\nb = 2\n{% endif %}\n    {# a note #}\nc = 3\n")

    assert render_template(template, {"sample": True}) == "a = 1\nb = 2\nc = 3\n"
    assert render_template(template, {"sample": False}) == "a = 1\nc = 3\n"


def ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    executable = find_ruff()
    assert executable, "ruff is a dev dependency: pip install -r requirements.lock"
    return subprocess.run(
        [executable, *args, "--no-cache", "--config", str(PROJECT_ROOT / "pyproject.toml"), "."],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("sample", [True, False], ids=["sample", "no-sample"])
def test_the_templates_pass_ruff_as_written_for_an_ordinary_name(sample: bool, tmp_path: Path) -> None:
    # Written without the ruff pass, so this checks the templates themselves, not the formatter.
    # (Line wrapping is left to that pass: it follows the project's line-length, whatever it is.)
    names = module_names("shipping", entity=check_entity_name("item") if sample else None)
    root = make_project(tmp_path / "project")
    write_atomically(root, render_plan(build_plan(name="shipping", sample=sample, root=root), context_for(names)))

    lint = ruff("check", cwd=root)

    assert lint.returncode == 0, lint.stdout


@pytest.mark.parametrize(("name", "entity"), VARIANTS)
def test_what_the_command_writes_is_ruff_clean_for_any_valid_name(
    name: str, entity: str | None, tmp_path: Path
) -> None:
    root = make_project(tmp_path / "project")

    outcome = create_module(
        name,
        root=root,
        app_labels=(),
        database_aliases=("default",),
        entity=entity or "item",
        sample=entity is not None,
    )

    assert outcome.tidied
    lint, formatting = ruff("check", cwd=root), ruff("format", "--check", cwd=root)
    assert lint.returncode == 0, lint.stdout
    assert formatting.returncode == 0, formatting.stdout
