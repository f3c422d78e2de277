"""Creating a module's database when it is missing (PostgreSQL; SQLite files create themselves)."""

import logging
from pathlib import Path

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)


def database_ensure(alias: str) -> None:
    config = settings.DATABASES[alias]
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    elif config["ENGINE"] == "django.db.backends.postgresql":
        _postgres_database_ensure(alias)


def _postgres_database_ensure(alias: str) -> None:
    import psycopg
    from psycopg import sql

    connection = connections[alias]
    name = connection.settings_dict["NAME"]
    params = {**connection.get_connection_params(), "dbname": "postgres", "autocommit": True}
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            logger.info("created database %s for alias %s", name, alias)
