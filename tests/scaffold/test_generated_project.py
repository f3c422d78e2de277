"""End to end, in a copy of the project: scaffold modules, then run every check the project has.

The copy gets the project's files (app, modules, contracts, tests, manage.py, pyproject.toml...; never
.venv, var or .git); every tool runs in a subprocess with the copy as its working directory and as PYTHONPATH,
with the interpreter running these tests (the project's virtualenv), and databases under tmp_path.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from tests.scaffold.support import PROJECT_ROOT

# Everything at the project's root but these: app, modules, contracts, tests, benchmarks, manage.py,
# pyproject.toml... (a new top-level package is copied without a change here).
NOT_COPIED = frozenset({".git", ".venv", "var", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".import_linter_cache"})
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".startmodule-*")
BIN = Path(sys.executable).parent
POSTGRES = "postgres://postgres@127.0.0.1:5432"
SCAFFOLDED = (("shipping", "item", "items"), ("billing", "invoice", "invoices"))

# Asks the running app, through Django's test client and the real database, what a user would see.
API_PROBE = """
import json, sys, django
django.setup()
from django.test import Client

module, collection = sys.argv[1:3]
url = f"/api/{module}/{collection}"
login = {"username": "demo", "password": "demo-pass-123"}  # seeded by load_demo_data
token = Client().post("/api/auth/token", login, content_type="application/json").json()["access_token"]
client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
created = client.post(url, {"name": "Probe"}, content_type="application/json")
fetched = client.get(f"{url}/{created.json()['id']}")
print(json.dumps({
    "created": [created.status_code, created.json()],
    "fetched": [fetched.status_code, fetched.json()],
    "listed": [client.get(url).status_code, client.get(url).json()],
    "missing": client.get(f"{url}/00000000-0000-4000-8000-000000000000").status_code,
    "paths": sorted(client.get("/api/openapi.json").json()["paths"]),
    "docs": client.get("/api/docs").status_code,
}))
"""


@dataclass
class Project:
    root: Path
    env: dict[str, str]
    seconds: dict[str, float] = field(default_factory=dict)

    def run(
        self, *args: str | Path, env: dict[str, str] | None = None, ok: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(a) for a in args],
            cwd=self.root,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if ok:
            assert result.returncode == 0, f"{' '.join(map(str, args))}\n{result.stdout}\n{result.stderr}"
        return result

    def manage(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return self.run(sys.executable, "manage.py", *args, env=env)

    def startmodule(self, name: str, *options: str) -> subprocess.CompletedProcess[str]:
        started = time.perf_counter()
        result = self.manage("startmodule", name, *options)
        self.seconds[name] = time.perf_counter() - started
        return result


def copy_project(destination: Path, var_dir: Path) -> Project:
    destination.mkdir(parents=True)
    for source in PROJECT_ROOT.iterdir():
        if source.name in NOT_COPIED or IGNORED(str(PROJECT_ROOT), [source.name]):
            continue
        if source.is_dir():
            shutil.copytree(source, destination / source.name, ignore=IGNORED)
        else:
            shutil.copy2(source, destination / source.name)
    _forget_modules_named_like_ours(destination)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith("DATABASE_URL") and key not in {"PYTEST_ADDOPTS", "VIRTUAL_ENV_PROMPT"}
    }
    env |= {
        "PYTHONPATH": str(destination),
        "DJANGO_SETTINGS_MODULE": "app.settings",
        "VAR_DIR": str(var_dir),
        "COLUMNS": "250",
        "NO_COLOR": "1",
        "MYPY_CACHE_DIR": str(var_dir / "mypy_cache"),
    }
    return Project(root=destination, env=env)


SCAFFOLDED_HERE = ("shipping", "billing", "ledger")


def _forget_modules_named_like_ours(project: Path) -> None:
    """A developer who followed the README (`make module NAME=shipping`) has a module with a name
    these tests scaffold: the copy drops it, so the tests scaffold theirs in its place."""
    for name in SCAFFOLDED_HERE:
        for folder in (f"modules/{name}", f"contracts/{name}", f"tests/modules/{name}"):
            shutil.rmtree(project / folder, ignore_errors=True)
        (project / "tests" / "contracts" / f"cases_{name}.py").unlink(missing_ok=True)


def generated_paths(*names: str) -> list[str]:
    return [f"{top}/{name}" for name in names for top in ("modules", "contracts", "tests/modules")]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A copy of the project with two modules scaffolded in a row."""
    base = tmp_path_factory.mktemp("scaffolded")
    copy = copy_project(base / "project", var_dir=base / "var")
    copy.startmodule("shipping")
    copy.startmodule("billing", "--entity", "Invoice")
    return copy


def test_two_modules_are_scaffolded_in_a_row_in_about_a_second_each(project: Project) -> None:
    for name, entity, _ in SCAFFOLDED:
        assert (project.root / "modules" / name / "apps.py").is_file()
        assert (project.root / "contracts" / name / "interface.py").is_file()
        assert (project.root / "tests" / "modules" / name / "test_api.py").is_file()
        assert (project.root / "modules" / name / "models.py").read_text().count(f"class {entity.title()}(") == 1
    print(f"\nmanage.py startmodule, wall time: {project.seconds}")
    assert all(seconds < 30 for seconds in project.seconds.values())
    assert not list(project.root.glob(".startmodule-*"))


def test_lint_imports_keeps_every_contract(project: Project) -> None:
    result = project.run(BIN / "lint-imports", "--no-cache", "--no-logo")

    assert "0 broken" in result.stdout


def test_ruff_and_mypy_accept_the_generated_code(project: Project) -> None:
    paths = generated_paths("shipping", "billing")

    project.run(BIN / "ruff", "check", "--no-cache", *paths)
    project.run(BIN / "ruff", "format", "--check", "--no-cache", *paths)
    project.run(BIN / "mypy", *paths)


def test_the_whole_test_suite_passes_with_the_new_modules_in_it(project: Project) -> None:
    # Every tier that sees the set of modules: the generated module tests, the architecture and
    # contract tests, the app and end-to-end tiers. Not these scaffold tests (they would copy the
    # copy), nor the process-level tiers (integration, scripts, benchmarks): they start servers and
    # workers, take minutes, and do not depend on which modules exist beyond what the others check.
    report = project.root.parent / "junit.xml"

    project.run(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--ignore=tests/scaffold",
        "--ignore=tests/integration",
        "--ignore=tests/scripts",
        "--ignore=tests/benchmarks",
        f"--junitxml={report}",
        ok=False,
    )

    cases = list(ElementTree.parse(report).getroot().iter("testcase"))
    outcome = {f"{c.get('classname')}::{c.get('name')}": [child.tag for child in c] for c in cases}
    assert [test for test, tags in outcome.items() if {"failure", "error"} & set(tags)] == []
    passed_files = {test.split("::")[0] for test, tags in outcome.items() if not tags}
    for name, _, _ in SCAFFOLDED:
        expected = {f"tests.modules.{name}.{file}" for file in ("test_api", "test_services", "test_facade")}
        assert expected <= passed_files
    assert any(file.startswith("tests.architecture.") for file in passed_files)


def test_the_rendered_migrations_match_the_models(project: Project) -> None:
    project.manage("makemigrations", "--check", "--dry-run", "shipping", "billing")


def probe(project: Project, module: str, collection: str, env: dict[str, str]) -> dict[str, Any]:
    result = project.run(sys.executable, "-c", API_PROBE, module, collection, env=env)
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def assert_the_api_answers(answer: dict[str, Any], *, module: str, entity: str, collection: str) -> None:
    created_status, created = answer["created"]
    assert created_status == 201
    assert answer["fetched"] == [200, created]
    listed_status, listed = answer["listed"]
    assert listed_status == 200
    assert created in listed["items"]
    assert answer["missing"] == 404
    url = f"/api/{module}/{collection}"
    assert {url, f"{url}/{{{entity}_id}}"} <= set(answer["paths"])
    assert answer["docs"] == 200


def test_on_sqlite_the_migrations_apply_and_the_endpoints_answer(project: Project) -> None:
    project.manage("migrate", "--verbosity", "0")
    demo = project.manage("load_demo_data")

    assert "shipping: 2 demo record(s) created" in demo.stdout
    for module, entity, collection in SCAFFOLDED:
        answer = probe(project, module, collection, project.env)
        assert_the_api_answers(answer, module=module, entity=entity, collection=collection)


def postgres_or_skip() -> None:
    try:
        import psycopg

        with psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=3):
            pass
    except Exception as error:
        reason = f"PostgreSQL is not reachable at {POSTGRES}: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A unique database name; every database derived from it is dropped afterwards."""
    postgres_or_skip()
    import psycopg
    from psycopg import sql

    base = f"scaffold_{uuid.uuid4().hex[:12]}"
    yield base
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        names = [row[0] for row in admin.execute("SELECT datname FROM pg_database").fetchall()]
        for name in names:
            if name == base or name.startswith(f"{base}_"):
                admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.mark.integration
def test_on_postgresql_the_migrations_apply_and_the_endpoints_answer(project: Project, postgres_database: str) -> None:
    env = {**project.env, "DATABASE_URL": f"{POSTGRES}/{postgres_database}"}

    project.manage("migrate", "--verbosity", "0", env=env)
    project.manage("load_demo_data", env=env)

    for module, entity, collection in SCAFFOLDED:
        answer = probe(project, module, collection, env)
        assert_the_api_answers(answer, module=module, entity=entity, collection=collection)
    import psycopg

    with psycopg.connect(f"{POSTGRES}/{postgres_database}_shipping") as connection:
        tables = {row[0] for row in connection.execute("SELECT tablename FROM pg_tables").fetchall()}
    assert "shipping_item" in tables  # in the module's own database


def test_a_module_without_the_sample_entity_passes_the_same_checks(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project", var_dir=tmp_path / "var")
    project.startmodule("ledger", "--no-sample")
    paths: Sequence[str] = generated_paths("ledger")

    project.run(BIN / "lint-imports", "--no-cache", "--no-logo")
    project.run(BIN / "ruff", "check", "--no-cache", *paths)
    project.run(BIN / "ruff", "format", "--check", "--no-cache", *paths)
    project.run(BIN / "mypy", *paths)
    project.run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/modules/ledger")
    project.run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/architecture", "tests/contracts")
