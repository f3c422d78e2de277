"""Keeps every model in its module's database, and everything else in ``default``.

A module's app label is its database alias (see ``app.modules``), so routing needs no table.
The platform tables that go with a module's own writes (the event tables, app label ``events``,
and the idempotency records, ``idempotency``) exist in every module's database instead: they are
always used with an explicit alias, so the router has no opinion on where they are read.
"""

from typing import Any

from django.db.models import Model

from app.modules import module_names

EVERY_MODULE = frozenset({"events", "idempotency"})  # app labels with tables in every module database


class ModuleDatabaseRouter:
    def __init__(self) -> None:
        self._aliases = frozenset(module_names())

    def alias_for_label(self, app_label: str) -> str:
        return app_label if app_label in self._aliases else "default"

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        return self._alias_for_model(model)

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return self._alias_for_model(model)

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return bool(obj1._state.db == obj2._state.db)

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        if app_label in EVERY_MODULE:
            return db in self._aliases
        return self.alias_for_label(app_label) == db

    def _alias_for_model(self, model: type[Model]) -> str | None:
        label = model._meta.app_label
        return None if label in EVERY_MODULE else self.alias_for_label(label)
