"""Whatever the topology, the public API is the same document; only who serves a route changes.

The test process is the monolith hosting everything; the extracted topology is started in fresh
processes, since settings follow TOPOLOGY_FILE and SERVICE at start."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.urls import Resolver404, resolve

ROOT = Path(__file__).resolve().parents[2]

INVENTORY_EXTRACTED = """
[services.monolith]
modules = ["*"]
url = "http://127.0.0.1:8000"

[services.inventory]
modules = ["inventory"]
url = "http://127.0.0.1:8001"
"""
PATHS = (
    "/api/inventory/products",
    "/api/inventory",
    "/api/orders",
    "/api/notifications",
    "/internal/inventory/get_prices",
    "/internal/orders/get_order",
)
PROBE = "; ".join(
    (
        "import django, json",
        "django.setup()",
        "from tests.app.test_combined_openapi import describe",
        "print(json.dumps(describe()))",
    )
)


def describe() -> dict[str, Any]:
    """The public API document's operations, and what serves each of PATHS in this process."""
    from app.api import api

    schema = api.get_openapi_schema()
    return {
        "operations": sorted(f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item),
        "served_by": {path: _served_by(path) for path in PATHS},
    }


def _served_by(path: str) -> str | None:
    try:
        func = resolve(path).func
    except Resolver404:
        return None
    return "gateway" if func.__module__ == "app.gateway" else func.__module__.split(".")[0]


def start(tmp_path: Path, topology: str, service: str) -> subprocess.Popen[str]:
    path = tmp_path / f"topology-{service}.toml"
    path.write_text(topology)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "app.settings",
        "TOPOLOGY_FILE": str(path),
        "SERVICE": service,
        "VAR_DIR": str(tmp_path / f"var-{service}"),
    }
    command = [sys.executable, "-c", PROBE]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen[str]) -> dict[str, Any]:
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    found: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return found


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """What the monolith and the inventory service each describe, with inventory extracted (run
    side by side: each is a Django start)."""
    tmp_path = tmp_path_factory.mktemp("topology")
    processes = {service: start(tmp_path, INVENTORY_EXTRACTED, service) for service in ("monolith", "inventory")}
    return {service: finish(process) for service, process in processes.items()}


@pytest.fixture(scope="module")
def monolith() -> dict[str, Any]:
    return describe()  # this test process runs the monolith, hosting everything


def test_the_monolith_serves_every_module_itself(monolith) -> None:
    assert monolith["served_by"] == {
        "/api/inventory/products": "ninja",
        "/api/inventory": None,  # no such operation: ninja's 404, as before extraction
        "/api/orders": "ninja",
        "/api/notifications": "ninja",
        "/internal/inventory/get_prices": "ninja",
        "/internal/orders/get_order": "ninja",
    }
    prefixes = {operation.split()[1].split("/")[2] for operation in monolith["operations"]}
    assert {"inventory", "orders", "notifications"} <= prefixes


def test_with_inventory_extracted_the_document_is_unchanged_and_its_routes_are_proxied(extracted, monolith) -> None:
    gateway = extracted["monolith"]
    assert gateway["operations"] == monolith["operations"]
    assert "GET /api/inventory/products" in gateway["operations"]
    assert gateway["served_by"] == {
        "/api/inventory/products": "gateway",
        "/api/inventory": "gateway",
        "/api/orders": "ninja",
        "/api/notifications": "ninja",
        "/internal/inventory/get_prices": None,  # not hosted here: nothing to serve
        "/internal/orders/get_order": "ninja",
    }


def test_the_extracted_service_serves_its_module_and_proxies_the_rest(extracted, monolith) -> None:
    inventory = extracted["inventory"]
    assert inventory["operations"] == monolith["operations"]
    assert inventory["served_by"] == {
        "/api/inventory/products": "ninja",
        "/api/inventory": None,
        "/api/orders": "gateway",
        "/api/notifications": "gateway",
        "/internal/inventory/get_prices": "ninja",
        "/internal/orders/get_order": None,
    }
