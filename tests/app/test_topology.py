"""The topology: which modules each service hosts and where it is reached; a broken one fails at
start with a message that names the problem."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.topology import Topology, TopologyError, load_topology

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("inventory", "notifications", "orders")

EXTRACTED = """
[services.monolith]
modules = ["*"]
url = "http://127.0.0.1:8000/"

[services.inventory]
modules = ["inventory"]
url = "http://127.0.0.1:8001"
"""


def load(tmp_path: Path, text: str | None, service: str = "monolith") -> Topology:
    path = tmp_path / "topology.toml"
    if text is not None:
        path.write_text(text)
    return load_topology(path=path, modules=MODULES, service=service)


def refused(tmp_path: Path, text: str, service: str = "monolith") -> str:
    with pytest.raises(TopologyError) as raised:
        load(tmp_path, text, service)
    return str(raised.value)


def test_without_a_file_the_monolith_hosts_every_module(tmp_path) -> None:
    topology = load(tmp_path, None)
    assert topology.current.name == "monolith"
    assert topology.hosted == MODULES
    assert topology.remote_modules() == ()
    assert all(topology.hosts(m) for m in MODULES)


def test_a_single_service_needs_no_address(tmp_path) -> None:
    topology = load(tmp_path, '[services.monolith]\nmodules = ["*"]\n')
    assert (topology.hosted, topology.current.url) == (MODULES, "")


def test_star_means_every_module_no_other_service_hosts(tmp_path) -> None:
    monolith = load(tmp_path, EXTRACTED)
    assert monolith.hosted == ("notifications", "orders")
    assert monolith.remote_modules() == ("inventory",)
    assert monolith.service_of("inventory").url == "http://127.0.0.1:8001"
    assert monolith.service_of("orders").url == "http://127.0.0.1:8000"  # trailing slash dropped
    assert not monolith.hosts("inventory")


def test_the_extracted_service_hosts_its_module_and_reaches_the_rest_remotely(tmp_path) -> None:
    inventory = load(tmp_path, EXTRACTED, service="inventory")
    assert inventory.hosted == ("inventory",)
    assert inventory.remote_modules() == ("notifications", "orders")
    assert inventory.service_of("orders").name == "monolith"


def test_modules_can_be_listed_without_a_star_when_every_one_is_placed(tmp_path) -> None:
    topology = load(
        tmp_path,
        """
        [services.shop]
        modules = ["orders", "notifications"]
        url = "http://127.0.0.1:8000"
        [services.stock]
        modules = ["inventory"]
        url = "https://stock.internal"
        """,
        service="stock",
    )
    assert (topology.hosted, topology.service_of("orders").name) == (("inventory",), "shop")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            '[services.monolith]\nmodules = ["*", "inventory"]\nurl = "http://a"\n'
            '[services.inventory]\nmodules = ["inventory"]\nurl = "http://b"\n',
            "topology.toml: module 'inventory' is in two services: 'monolith' and 'inventory'",
            id="a module in two services",
        ),
        pytest.param(
            '[services.monolith]\nmodules = ["*", "loyalty"]\n',
            "topology.toml: service 'monolith' lists unknown module 'loyalty'",
            id="an unknown module",
        ),
        pytest.param(
            '[services.a]\nmodules = ["*"]\nurl = "http://a"\n[services.b]\nmodules = ["*"]\nurl = "http://b"\n',
            'topology.toml: only one service may host "*", not a, b',
            id="two star services",
        ),
        pytest.param(
            '[services.monolith]\nmodules = ["*"]\nurl = "http://a"\n[services.inventory]\nmodules = ["inventory"]\n',
            "topology.toml: service 'inventory' has no address (url = \"http://host:port\")",
            id="no url with several services",
        ),
        pytest.param(
            '[services.monolith]\nmodules = ["*"]\nurl = "http://a"\n'
            '[services.inventory]\nmodules = ["inventory"]\nurl = "127.0.0.1:8001"\n',
            "topology.toml: service 'inventory' has no address",
            id="a url without a scheme",
        ),
        pytest.param(
            '[services.monolith]\nmodules = ["orders"]\n',
            'topology.toml: no service hosts inventory, notifications (add them, or "*")',
            id="modules hosted by nobody",
        ),
        pytest.param(
            '[services.monolith\nmodules = ["*"]\n',
            "topology.toml: not valid TOML: ",
            id="invalid TOML",
        ),
        pytest.param("# nothing here\n", "topology.toml: no [services.<name>] table", id="no services"),
        pytest.param(
            '[services.monolith]\nmodules = "*"\n',
            "topology.toml: service 'monolith' needs modules = [\"<module>\", ...]",
            id="modules not a list",
        ),
        pytest.param(
            "[services]\nmonolith = 3\n",
            "topology.toml: service 'monolith' needs modules = [\"<module>\", ...]",
            id="a service that is not a table",
        ),
    ],
)
def test_a_broken_topology_is_refused_with_a_message_naming_the_problem(tmp_path, text: str, message: str) -> None:
    assert refused(tmp_path, text).startswith(message)


def test_an_unreadable_file_is_refused_by_name(tmp_path) -> None:
    path = tmp_path / "topology.toml"
    path.write_bytes(b'[services.monolith]\nmodules = ["\xff"]\n')
    with pytest.raises(TopologyError, match=r"^topology.toml: cannot be read: 'utf-8' codec can't decode"):
        load_topology(path=path, modules=MODULES)
    folder = tmp_path / "topology.d"
    folder.mkdir()
    with pytest.raises(TopologyError, match=r"^topology.d: cannot be read: "):
        load_topology(path=folder, modules=MODULES)  # exists, but is not a file


def test_an_unknown_service_is_refused_with_the_ones_that_exist(tmp_path) -> None:
    assert refused(tmp_path, EXTRACTED, service="loyalty") == (
        "topology.toml: SERVICE='loyalty' is not one of monolith, inventory"
    )


def test_without_a_file_only_the_monolith_exists(tmp_path) -> None:
    with pytest.raises(TopologyError, match="SERVICE='inventory' is not one of monolith"):
        load(tmp_path, None, service="inventory")


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "app.settings", **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_django_refuses_to_start_with_a_broken_topology(tmp_path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('[services.monolith]\nmodules = ["*", "loyalty"]\n')
    result = manage("check", TOPOLOGY_FILE=str(broken), VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "ImproperlyConfigured: broken topology: broken.toml: service 'monolith' lists unknown module 'loyalty'" in (
        result.stderr
    )


def test_django_refuses_to_start_as_a_service_the_topology_lacks(tmp_path) -> None:
    result = manage("check", SERVICE="loyalty", TOPOLOGY_FILE=str(tmp_path / "none.toml"), VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "broken topology: none.toml: SERVICE='loyalty' is not one of monolith" in result.stderr
