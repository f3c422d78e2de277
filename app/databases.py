"""One database per module, derived from the environment.

- Default: one SQLite file per module under ``var/db/`` (WAL, so readers never block the writer).
- ``DATABASE_URL=postgres://...``: one PostgreSQL database per module on that server, named
  ``<base database>_<module>`` (``manage.py migrate`` creates them when missing).
- ``<MODULE>_DATABASE_URL`` overrides one module's database, e.g. after extraction.

The ``default`` alias holds what belongs to no module: Django's own tables (auth, sessions...).
"""

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import dj_database_url

SQLITE_OPTIONS = {
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of deadlocking.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


def build_databases(
    *, aliases: Iterable[str], env: Mapping[str, str], sqlite_dir: Path, service: str = "monolith"
) -> dict[str, dict[str, Any]]:
    """``default`` plus one alias per module in ``aliases`` (the modules this service hosts)."""
    databases = {alias: _database(alias=alias, env=env, sqlite_dir=sqlite_dir) for alias in ("default", *aliases)}
    if service != "monolith" and databases["default"]["ENGINE"] == "django.db.backends.sqlite3":
        # Each service has its own `default` (users, sessions); module files keep their names,
        # so an extracted module keeps its SQLite file.
        databases["default"]["NAME"] = str(sqlite_dir / f"default-{service}.sqlite3")
    return databases


def _database(*, alias: str, env: Mapping[str, str], sqlite_dir: Path) -> dict[str, Any]:
    config = _connection(alias=alias, env=env, sqlite_dir=sqlite_dir)
    # A module's test database is independent of `default`: a module test can run on its own.
    config.setdefault("TEST", {})["DEPENDENCIES"] = []
    return config


def _connection(*, alias: str, env: Mapping[str, str], sqlite_dir: Path) -> dict[str, Any]:
    override = env.get(f"{alias.upper()}_DATABASE_URL")
    if override:
        return _from_url(override)
    shared = env.get("DATABASE_URL")
    if shared:
        return _per_module(_from_url(shared), alias)
    return _sqlite(sqlite_dir / f"{alias}.sqlite3")


def _from_url(url: str) -> dict[str, Any]:
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = dict(SQLITE_OPTIONS)
    return config


def _per_module(config: dict[str, Any], alias: str) -> dict[str, Any]:
    if alias != "default" and config["ENGINE"] != "django.db.backends.sqlite3":
        config["NAME"] = f"{config['NAME']}_{alias}"
    return config


def _sqlite(path: Path) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": dict(SQLITE_OPTIONS),
        # Persistent, like PostgreSQL's: reopening a WAL database per request costs a connection,
        # the PRAGMAs and a checkpoint when the last connection closes (measured: ~2x on POST).
        "CONN_MAX_AGE": 60,
    }
