"""Keeps every model in its module's database, and everything else in ``default``.

A module's app label is its database alias (see ``app.modules``), so routing needs no table.
"""

from typing import Any

from django.db.models import Model

from app.modules import module_names


class ModuleDatabaseRouter:
    def __init__(self) -> None:
        self._aliases = frozenset(module_names())

    def alias_for_label(self, app_label: str) -> str:
        return app_label if app_label in self._aliases else "default"

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        return self.alias_for_label(model._meta.app_label)

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return self.alias_for_label(model._meta.app_label)

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return self.db_for_read(type(obj1)) == self.db_for_read(type(obj2))

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return self.alias_for_label(app_label) == db
