"""--standalone DIR: the exported service project installs in a fresh virtualenv and passes its own
tests there, and at run time it still reaches the rest of the system (remote contracts, and the
subscribers of its events that live elsewhere). Plus the topology features it relies on."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from app.bootstrap import build_runtime
from app.modules import discover_modules
from app.topology import TopologyError, load_topology
from tests.scripts.support import clean_env, copy_project, extract, manage

# --- what a standalone topology may say (app/topology.py, app/bootstrap.py) -----------------------

STANDALONE = """
default_service = "inventory"

[services.inventory]
modules = ["inventory"]
url = "http://127.0.0.1:8001"

[services.monolith]
modules = ["*"]
url = "http://127.0.0.1:8000"

[services.monolith.subscribers]
"orders.saga_stock_reserved" = "inventory.StockReservedV1"
"""


def topology_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "topology.toml"
    path.write_text(text)
    return path


def test_default_service_is_the_service_when_none_is_named(tmp_path: Path) -> None:
    path = topology_file(tmp_path, STANDALONE)

    assert load_topology(path=path, modules=["inventory"], contract_only=["orders"]).current.name == "inventory"
    assert load_topology(path=path, modules=["inventory"], service="monolith").current.name == "monolith"


def test_a_contract_only_module_is_hosted_elsewhere_never_here(tmp_path: Path) -> None:
    path = topology_file(tmp_path, STANDALONE)

    topology = load_topology(path=path, modules=["inventory"], contract_only=["orders"])

    assert topology.service_of("orders").name == "monolith"
    assert topology.remote_modules() == ("orders",)
    with pytest.raises(TopologyError, match="would host orders, whose code is not in this project"):
        load_topology(path=path, modules=["inventory"], contract_only=["orders"], service="monolith")


def test_subscribers_elsewhere_are_read_and_checked(tmp_path: Path) -> None:
    topology = load_topology(path=topology_file(tmp_path, STANDALONE), modules=["inventory"])

    assert topology.services[1].subscribers == (("orders.saga_stock_reserved", "inventory.StockReservedV1"),)
    broken = STANDALONE.replace('"inventory.StockReservedV1"', "3")
    with pytest.raises(TopologyError, match=r"subscribers\] maps subscriber ids to event types"):
        load_topology(path=topology_file(tmp_path, broken), modules=["inventory"])


def test_declared_subscribers_join_the_subscription_table(tmp_path: Path) -> None:
    # In the monolith every module's code is here, so declare a subscriber of a module that is not.
    text = STANDALONE.replace('"orders.saga_stock_reserved"', '"absent_module.on_stock_reserved"')
    every_module = [spec.name for spec in discover_modules()]
    topology = load_topology(path=topology_file(tmp_path, text), modules=every_module)

    runtime = build_runtime(topology, discover_modules())

    subscription = runtime.subscriptions.get("absent_module.on_stock_reserved")
    assert (subscription.module, subscription.event_type.event_type()) == ("absent_module", "inventory.StockReservedV1")
    unknown = load_topology(path=topology_file(tmp_path, text.replace("StockReservedV1", "Nope")), modules=every_module)
    with pytest.raises(TopologyError, match=r"listens to 'inventory\.Nope'"):
        build_runtime(unknown, discover_modules())


# --- the exported project, in a fresh virtualenv ------------------------------------------------

# Run inside the standalone inventory service: an event it publishes must leave for the orders
# subscribers (whose code is not there) as Celery tasks on the orders queue.
ROUTING_PROGRAM = """
import json, os, uuid
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings")
django.setup()
from django.core.management import call_command
from django.db import transaction
from app.bootstrap import runtime
from app.events import tasks
from contracts.inventory.events import StockReservedV1
from contracts.kernel.events import publish

call_command("migrate", verbosity=0)
sent = []
tasks.deliver.apply_async = lambda args, queue, **options: sent.append([args[1], queue])
with transaction.atomic(using="inventory"):
    publish(StockReservedV1(order_id=uuid.uuid4(), command_id=uuid.uuid4()))
runtime().relay.drain("inventory")
print(json.dumps({"sent": sorted(sent)}))
"""

# Run inside the standalone orders service: the contracts it calls are bound to remote clients.
BINDING_PROGRAM = """
import json, os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings")
django.setup()
from contracts.inventory.interface import InventoryInterface
from contracts.kernel.registry import registry
print(json.dumps({"inventory_binding": repr(registry.resolve(InventoryInterface))}))
"""


def run(python: Path, *args: str, cwd: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), *args],
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_a_standalone_service_installs_and_passes_its_own_tests_in_a_fresh_virtualenv(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    inventory, orders = tmp_path / "inventory-service", tmp_path / "orders-service"
    exported = extract(project, "inventory", "--standalone", str(inventory))
    assert exported.returncode == 0, exported.stderr
    # orders too (it calls inventory through its contract): the export is not inventory's special case.
    exported = extract(project, "orders", "--standalone", str(orders))
    assert exported.returncode == 0, exported.stderr

    assert sorted(p.name for p in (inventory / "modules").iterdir()) == ["__init__.py", "inventory"]
    contracts = sorted(p.name for p in (inventory / "contracts").iterdir())
    assert contracts == ["__init__.py", "inventory", "kernel"]  # inventory only answers commands now
    topology = tomllib.loads((inventory / "topology.toml").read_text())
    assert topology["default_service"] == "inventory"
    assert topology["services"]["monolith"]["subscribers"] == {
        "orders.saga_stock_reserved": "inventory.StockReservedV1",
        "orders.saga_stock_refused": "inventory.StockReservationFailedV1",
        "orders.saga_stock_released": "inventory.StockReleasedV1",
    }
    assert (inventory / "requirements.lock").read_bytes() == (project / "requirements.lock").read_bytes()
    assert tomllib.loads((inventory / "pyproject.toml").read_text())["project"]["name"] == "inventory-service"

    venv = inventory / ".venv"
    created = run(Path(sys.executable), "-m", "venv", str(venv), cwd=inventory)
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    installed = run(python, "-m", "pip", "install", "-q", "-r", "requirements.lock", cwd=inventory, timeout=900)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    for service, module in ((inventory, "inventory"), (orders, "orders")):
        tests = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"tests/modules/{module}", cwd=service)
        assert tests.returncode == 0, tests.stdout + tests.stderr
        assert " passed" in tests.stdout
        boundaries = run(venv / "bin" / "lint-imports", "--no-cache", cwd=service, PYTHONPATH=str(service))
        assert boundaries.returncode == 0, boundaries.stdout + boundaries.stderr
        check = manage(service, "check", python=str(python))
        assert check.returncode == 0, check.stderr

    var = str(inventory / "var")
    routed = run(python, "-c", ROUTING_PROGRAM, cwd=inventory, VAR_DIR=var, PYTHONPATH=str(inventory))
    assert routed.returncode == 0, routed.stderr
    facts = json.loads(routed.stdout.strip().splitlines()[-1])
    assert facts["sent"] == [["orders.saga_stock_reserved", "orders"]]
    bound = run(python, "-c", BINDING_PROGRAM, cwd=orders, VAR_DIR=str(orders / "var"), PYTHONPATH=str(orders))
    assert bound.returncode == 0, bound.stderr
    assert "RemoteContract" in json.loads(bound.stdout.strip().splitlines()[-1])["inventory_binding"]
