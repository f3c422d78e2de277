"""scripts/extract_module.py, run as a person runs it, in a copy of the project: what it refuses,
what --dry-run shows, what an extraction writes, and that --merge undoes it exactly."""

import tomllib
from pathlib import Path

import pytest
import yaml

from app.modules import discover_modules
from tests.scripts.support import PROJECT_ROOT, Run, extract, manage, snapshot

ORIGINAL_TOPOLOGY = (PROJECT_ROOT / "topology.toml").read_bytes()


def append(project: Path, path: str, code: str) -> None:
    target = project / path
    target.write_text(f"{target.read_text()}\n{code}\n")


def assert_refused(run: Run, reason: str) -> None:
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("extract_module: refused: ")
    assert reason in lines[0]
    assert run.stdout == ""


def services(project: Path) -> dict[str, dict[str, object]]:
    return dict(tomllib.loads((project / "topology.toml").read_text())["services"])


# --- refusals: one line on stderr, exit status 1, nothing written ---------------------------------


@pytest.mark.parametrize(
    ("args", "change", "reason"),
    [
        pytest.param(
            ["no_such_module"],
            None,
            "no module 'no_such_module': modules/no_such_module/apps.py does not exist",
            id="unknown-module",
        ),
        pytest.param(
            ["inventory"],
            ("topology.toml", '[services.stock]\nmodules = ["inventory"]\nurl = "http://127.0.0.1:8005"'),
            "'inventory' is already extracted: service 'stock' hosts it (http://127.0.0.1:8005)",
            id="already-extracted",
        ),
        pytest.param(
            ["inventory"],
            (
                "modules/orders/services/placing.py",
                "from modules.inventory import selectors as stock  # noqa: E402,F401",
            ),
            "modules.orders imports modules.inventory (modules/orders/services/placing.py:",
            id="imported-by-another-module",
        ),
        pytest.param(
            ["inventory"],
            ("contracts/orders/dto.py", "import django  # noqa: E402,F401"),
            "lint-imports fails, fix the module boundaries first: Contracts are framework-free BROKEN",
            id="lint-imports-fails",
        ),
        pytest.param(
            ["inventory", "--port", "8000"],
            None,
            "port 8000 is taken by service 'monolith' (http://127.0.0.1:8000)",
            id="port-taken",
        ),
        pytest.param(
            ["--merge", "inventory"],
            None,
            "'inventory' is not extracted: the main service 'monolith' hosts it",
            id="merge-not-extracted",
        ),
        pytest.param(["--merge", "no_such_module"], None, "no module 'no_such_module'", id="merge-unknown-module"),
        pytest.param(
            ["inventory", "--standalone", "scripts"],
            None,
            "--standalone scripts: choose a directory outside this project",
            id="standalone-inside-project",
        ),
        pytest.param(
            ["inventory"],
            ("topology.toml", '[services.monolith2]\nmodules = ["*"]\nurl = "http://127.0.0.1:8009"'),
            'broken topology: topology.toml: only one service may host "*"',
            id="broken-topology",
        ),
    ],
)
def test_a_refusal_says_why_in_one_line_and_writes_nothing(
    project: Path, args: list[str], change: tuple[str, str] | None, reason: str
) -> None:
    if change:
        append(project, *change)
    before = snapshot(project)

    run = extract(project, *args)

    assert_refused(run, reason)
    assert snapshot(project) == before
    assert not (project / "deploy").exists()


def test_a_standalone_directory_that_is_not_empty_is_refused(project: Path, tmp_path: Path) -> None:
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine")
    before = snapshot(project)

    run = extract(project, "inventory", "--standalone", str(occupied))

    assert_refused(run, "the directory exists and is not empty")
    assert snapshot(project) == before
    assert [p.name for p in occupied.iterdir()] == ["notes.txt"]


def test_usage_errors_exit_2(project: Path) -> None:
    before = snapshot(project)

    assert extract(project, "--port", "8001").returncode == 2  # no module named
    assert extract(project, "inventory", "--merge", "orders").returncode == 2
    assert extract(project, "--merge", "inventory", "--port", "8001").returncode == 2
    assert extract(project, "inventory", "--port", "70000").returncode == 2
    assert snapshot(project) == before


# --- dry run ----------------------------------------------------------------------------------------


def test_dry_run_shows_the_topology_diff_and_the_files_and_writes_nothing(project: Path, tmp_path: Path) -> None:
    before = snapshot(project)

    run = extract(project, "inventory", "--dry-run", "--standalone", str(tmp_path / "inventory-service"))

    assert run.returncode == 0, run.stderr
    assert "(dry run: nothing written)" in run.stdout
    assert "+[services.inventory]" in run.stdout
    assert '+modules = ["inventory"]' in run.stdout
    assert '+url = "http://127.0.0.1:8001"' in run.stdout
    for name in ("deploy/monolith.env", "deploy/inventory.env", "deploy/Procfile", "deploy/docker-compose.yml"):
        assert f"  {name} (new)" in run.stdout
    assert "  topology.toml (changed)" in run.stdout
    assert "  modules/inventory/ (" in run.stdout  # the standalone project's contents
    assert snapshot(project) == before
    assert not (tmp_path / "inventory-service").exists()


# --- extraction ---------------------------------------------------------------------------------------


def test_extraction_adds_the_service_keeping_the_comments(project: Path) -> None:
    run = extract(project, "inventory")

    assert run.returncode == 0, run.stderr
    text = (project / "topology.toml").read_text()
    assert text.startswith(ORIGINAL_TOPOLOGY.decode())  # the header comments and the monolith, untouched
    assert services(project) == {
        "monolith": {"modules": ["*"], "url": "http://127.0.0.1:8000"},
        "inventory": {"modules": ["inventory"], "url": "http://127.0.0.1:8001"},
    }


def test_extraction_writes_deployment_files_for_every_service(project: Path) -> None:
    assert extract(project, "inventory", "--port", "8101").returncode == 0
    deploy = project / "deploy"

    for service in ("monolith", "inventory"):
        env = dict(
            line.split("=", 1)
            for line in (deploy / f"{service}.env").read_text().splitlines()
            if not line.startswith("#")
        )
        assert env["SERVICE"] == service
        assert env["EVENTS_TRANSPORT"] == "celery"
        assert env["REDIS_URL"].startswith("redis://")
        assert env["INTERNAL_API_TOKEN"]
    assert "#INVENTORY_DATABASE_URL=postgres://" in (deploy / "inventory.env").read_text()

    procfile = [line for line in (deploy / "Procfile").read_text().splitlines() if not line.startswith("#")]
    processes = dict(line.split(": ", 1) for line in procfile)
    assert sorted(processes) == sorted(
        f"{s}-{k}" for s in ("monolith", "inventory") for k in ("web", "relay", "worker")
    )
    for name, command in processes.items():
        service = name.rsplit("-", 1)[0]
        assert f". deploy/{service}.env" in command
        assert f"SERVICE={service} " in command
    assert "EVENTS_RELAY_IN_WEB=0" in processes["inventory-web"]
    assert "gunicorn app.wsgi --bind 127.0.0.1:8101" in processes["inventory-web"]
    assert "gunicorn app.wsgi --bind 127.0.0.1:8000" in processes["monolith-web"]
    assert processes["inventory-relay"].endswith("manage.py relay")
    assert "celery -A app worker -Q inventory " in processes["inventory-worker"]
    assert f"celery -A app worker -Q {queues_without('inventory')} " in processes["monolith-worker"]


def test_the_compose_file_describes_the_same_topology(project: Path) -> None:
    assert extract(project, "inventory").returncode == 0
    deploy = project / "deploy"

    compose = yaml.safe_load((deploy / "docker-compose.yml").read_text())

    containers = compose["services"]
    expected = {f"{s}-{k}" for s in ("monolith", "inventory") for k in ("migrate", "web", "relay", "worker")}
    assert set(containers) == expected | {"postgres", "redis"}
    for name, container in containers.items():
        for dependency in container.get("depends_on", {}):
            assert dependency in containers, f"{name} depends on unknown {dependency}"
        for env_file in container.get("env_file", []):
            assert (deploy / env_file).is_file()
        for volume in container.get("volumes", []):
            assert volume.split(":")[0] in compose["volumes"]
    assert containers["inventory-web"]["ports"] == ["8001:8001"]
    assert containers["inventory-web"]["environment"]["SERVICE"] == "inventory"
    assert containers["monolith-worker"]["command"][-6:-4] == ["-Q", queues_without("inventory")]
    assert "monolith-migrate" in containers["inventory-migrate"]["depends_on"]  # one migration at a time
    assert containers["inventory-relay"]["environment"]["TOPOLOGY_FILE"] == "/app/deploy/topology.compose.toml"
    inside = tomllib.loads((deploy / "topology.compose.toml").read_text())["services"]
    assert inside["inventory"]["url"] == "http://inventory-web:8001"
    assert inside["monolith"]["url"] == "http://monolith-web:8000"


def test_both_services_start_after_an_extraction(project: Path) -> None:
    run = extract(project, "inventory")
    assert run.returncode == 0, run.stderr

    for service in ("inventory", "monolith"):
        check = manage(project, "check", SERVICE=service)
        assert check.returncode == 0, check.stderr
        assert "System check identified no issues" in check.stdout


def test_the_next_steps_name_the_commands(project: Path) -> None:
    run = extract(project, "inventory")

    assert "var/db/inventory.sqlite3" in run.stdout
    assert "pg_dump" in run.stdout
    assert "INVENTORY_DATABASE_URL=" in run.stdout
    assert "SERVICE=inventory .venv/bin/python manage.py migrate" in run.stdout
    assert "SERVICE=inventory .venv/bin/celery -A app worker -Q inventory" in run.stdout
    assert "Restart the monolith service's processes" in run.stdout
    assert "--merge inventory" in run.stdout


def test_a_second_module_gets_the_next_free_port(project: Path) -> None:
    assert extract(project, "inventory").returncode == 0
    assert extract(project, "notifications").returncode == 0

    assert services(project)["notifications"] == {"modules": ["notifications"], "url": "http://127.0.0.1:8002"}
    procfile = (project / "deploy/Procfile").read_text()
    assert f"celery -A app worker -Q {queues_without('inventory', 'notifications')} " in procfile  # what is left


# --- idempotence and reversal ---------------------------------------------------------------------


def test_extracting_twice_refuses_the_second_time_and_changes_nothing(project: Path) -> None:
    assert extract(project, "inventory").returncode == 0
    after_first = snapshot(project)

    second = extract(project, "inventory")

    assert_refused(second, "'inventory' is already extracted: service 'inventory' hosts it")
    assert snapshot(project) == after_first


def test_merge_restores_the_topology_byte_for_byte_and_deploy_describes_only_the_monolith(project: Path) -> None:
    assert extract(project, "inventory").returncode == 0

    merged = extract(project, "--merge", "inventory")

    assert merged.returncode == 0, merged.stderr
    assert (project / "topology.toml").read_bytes() == ORIGINAL_TOPOLOGY
    deploy = project / "deploy"
    assert not (deploy / "inventory.env").exists()
    assert (deploy / "monolith.env").exists()
    procfile = (deploy / "Procfile").read_text()
    assert "inventory-" not in procfile
    assert f"celery -A app worker -Q {queues_without()} " in procfile
    compose = yaml.safe_load((deploy / "docker-compose.yml").read_text())
    assert sorted(compose["services"]) == sorted(
        ["postgres", "redis", "monolith-migrate", "monolith-web", "monolith-relay", "monolith-worker"]
    )
    assert "Restart the monolith service's processes" in merged.stdout
    assert_refused(extract(project, "--merge", "inventory"), "'inventory' is not extracted")


def test_merge_of_a_middle_service_keeps_the_others(project: Path) -> None:
    assert extract(project, "inventory").returncode == 0
    only_notifications = (project / "topology.toml").read_bytes()
    assert extract(project, "notifications").returncode == 0
    assert extract(project, "--merge", "notifications").returncode == 0

    assert (project / "topology.toml").read_bytes() == only_notifications
    assert extract(project, "--merge", "inventory").returncode == 0
    assert (project / "topology.toml").read_bytes() == ORIGINAL_TOPOLOGY


def test_generated_files_a_person_added_to_deploy_are_left_alone(project: Path) -> None:
    (project / "deploy").mkdir()
    (project / "deploy/staging.env").write_text("SERVICE=monolith\n")
    assert extract(project, "inventory").returncode == 0
    assert extract(project, "--merge", "inventory").returncode == 0

    assert (project / "deploy/staging.env").read_text() == "SERVICE=monolith\n"


def test_topology_file_from_the_environment_is_the_one_edited(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "prod-topology.toml"
    elsewhere.write_bytes(ORIGINAL_TOPOLOGY)
    run = extract(project, "inventory", TOPOLOGY_FILE=str(elsewhere))

    assert run.returncode == 0, run.stderr
    assert (project / "topology.toml").read_bytes() == ORIGINAL_TOPOLOGY
    assert "[services.inventory]" in elsewhere.read_text()
    assert f"TOPOLOGY_FILE={elsewhere}" in (project / "deploy/inventory.env").read_text()


def queues_without(*extracted: str) -> str:
    """The monolith's queues: every module (including any a developer scaffolded) but these."""
    return ",".join(spec.name for spec in discover_modules() if spec.name not in extracted)
