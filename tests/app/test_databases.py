from pathlib import Path
from typing import Any

from app.databases import build_databases

ALIASES = ("inventory", "orders")


def build(**env: str) -> dict[str, dict[str, Any]]:
    return build_databases(aliases=ALIASES, env=env, sqlite_dir=Path("/srv/db"))


def test_by_default_each_module_gets_its_own_sqlite_file_in_wal_mode() -> None:
    databases = build()
    assert {alias: config["NAME"] for alias, config in databases.items()} == {
        "default": "/srv/db/default.sqlite3",
        "inventory": "/srv/db/inventory.sqlite3",
        "orders": "/srv/db/orders.sqlite3",
    }
    assert "journal_mode=WAL" in databases["orders"]["OPTIONS"]["init_command"]


def test_one_postgres_url_gives_one_database_per_module_on_that_server() -> None:
    databases = build(DATABASE_URL="postgres://app:pw@db.internal:5432/shop")
    assert {alias: config["NAME"] for alias, config in databases.items()} == {
        "default": "shop",
        "inventory": "shop_inventory",
        "orders": "shop_orders",
    }
    assert {config["HOST"] for config in databases.values()} == {"db.internal"}
    assert databases["orders"]["CONN_MAX_AGE"] == 60


def test_a_module_url_overrides_the_shared_one_for_that_module_only() -> None:
    databases = build(
        DATABASE_URL="postgres://app@db.internal/shop",
        INVENTORY_DATABASE_URL="postgres://inv@stock.internal/stock",
    )
    assert (databases["inventory"]["HOST"], databases["inventory"]["NAME"]) == ("stock.internal", "stock")
    assert databases["orders"]["NAME"] == "shop_orders"


def test_module_test_databases_do_not_depend_on_default() -> None:
    assert all(config["TEST"]["DEPENDENCIES"] == [] for config in build().values())
