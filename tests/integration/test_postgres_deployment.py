"""A real deployment on PostgreSQL: one database per module, served by gunicorn, paying through
the fake payment provider process."""

import httpx
import psycopg
import pytest

from tests.integration.processes import wait_for
from tests.integration.reconcile import assert_reconciled

pytestmark = pytest.mark.integration

MODULES = ("inventory", "notifications", "orders", "payments")


def tables(server: str, database: str) -> set[str]:
    with psycopg.connect(f"{server}/{database}") as connection:
        rows = connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row[0] for row in rows}


def test_migrate_creates_and_migrates_one_database_per_module(deployment, postgres_server) -> None:
    result = deployment.manage("migrate")
    assert result.returncode == 0, result.stderr
    for module in MODULES:
        own = tables(postgres_server, f"{deployment.database}_{module}")
        assert any(t.startswith(f"{module}_") for t in own)
        assert not any(t.startswith(tuple(f"{m}_" for m in MODULES if m != module)) for t in own)
        assert "auth_user" not in own
    assert "auth_user" in tables(postgres_server, deployment.database)


def test_a_module_database_url_moves_just_that_module(deployment, postgres_server) -> None:
    elsewhere = f"{deployment.database}_moved"
    deployment.env["INVENTORY_DATABASE_URL"] = f"{postgres_server}/{elsewhere}"
    assert deployment.manage("migrate").returncode == 0
    assert "inventory_product" in tables(postgres_server, elsewhere)
    with psycopg.connect(f"{postgres_server}/postgres") as admin:
        names = {r[0] for r in admin.execute("SELECT datname FROM pg_database")}
    assert f"{deployment.database}_inventory" not in names


def test_demo_data_loads_idempotently(deployment, postgres_server) -> None:
    assert deployment.manage("migrate").returncode == 0
    assert "5 demo record(s) created" in deployment.manage("load_demo_data").stdout
    assert "0 demo record(s) created" in deployment.manage("load_demo_data").stdout
    with psycopg.connect(f"{postgres_server}/{deployment.database}_inventory") as connection:
        assert connection.execute("SELECT count(*) FROM inventory_product").fetchone() == (5,)


@pytest.fixture
def served(deployment, request) -> str:
    assert deployment.manage("migrate").returncode == 0
    assert deployment.manage("load_demo_data").returncode == 0
    base_url: str = request.getfixturevalue("gunicorn")
    return base_url


def test_the_order_flow_under_gunicorn_on_postgres(served, deployment, provider_process) -> None:
    with httpx.Client(base_url=served, timeout=10) as http:
        login = {"username": "demo", "password": "demo-pass-123"}  # seeded by load_demo_data
        http.headers["Authorization"] = f"Bearer {http.post('/api/auth/token', json=login).json()['access_token']}"
        placed = http.post(
            "/api/orders",
            json={"customer_email": "demo@example.com", "lines": [{"sku": "KB-001", "quantity": 2}]},
        )
        assert placed.status_code == 201, placed.text
        order = placed.json()
        assert order["total"] == "178.00"
        wait_for(
            lambda: http.get(f"/api/orders/{order['id']}").json()["saga"]["state"] == "COMPLETED",
            timeout=20,
            what="the order's saga to complete",
            details=lambda: http.get(f"/api/orders/{order['id']}").text,
        )
        final = http.get(f"/api/orders/{order['id']}").json()
        assert final["status"] == "CONFIRMED"
        assert [(s["name"], s["status"]) for s in final["saga"]["steps"]] == [
            ("reserve_stock", "SUCCEEDED"),
            ("authorize_payment", "SUCCEEDED"),
            ("confirm_order", "SUCCEEDED"),
            ("capture_payment", "SUCCEEDED"),
        ]
        sent = http.get("/api/notifications", params={"recipient": "demo@example.com"}).json()
        assert len(sent) == 2
        refused = http.post(
            "/api/orders",
            json={
                "customer_email": "demo@example.com",
                "lines": [{"sku": "KB-001", "quantity": 1}, {"sku": "NOPE", "quantity": 1}],
            },
        )
        assert refused.status_code == 422
        assert refused.json()["code"] == "unknown_sku"
    assert deployment.rows("orders", "SELECT count(*) FROM orders_order") == [(1,)]
    assert deployment.rows("inventory", "SELECT reserved FROM inventory_product WHERE sku = 'KB-001'") == [(2,)]
    assert deployment.rows("payments", "SELECT status FROM payments_payment") == [("CAPTURED",)]
    assert [(a["status"], a["amount"]) for a in provider_process.authorizations()] == [("captured", "178.00")]
    assert_reconciled(deployment.rows, provider_process)
