"""`migrate` that migrates every database alias (one per module, plus `default`).

With `--database X` it behaves exactly like Django's own command. On PostgreSQL, a module's
database that does not exist yet is created first (before the system checks connect to it).
"""

from typing import Any

from django.conf import settings
from django.core.management.commands import migrate

from app.provisioning import database_ensure


class Command(migrate.Command):
    help = "Migrate every module's database (or only --database)."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.set_defaults(database=None)

    def execute(self, *args: Any, **options: Any) -> str | None:
        for alias in _aliases(options):
            database_ensure(alias)
        return super().execute(*args, **options)

    def get_check_kwargs(self, options: dict[str, Any]) -> Any:
        kwargs = super().get_check_kwargs(options)
        kwargs["databases"] = _aliases(options)
        return kwargs

    def handle(self, *args: Any, **options: Any) -> None:
        for alias in _aliases(options):
            if options["verbosity"] >= 1 and options["database"] is None:
                self.stdout.write(self.style.MIGRATE_HEADING(f"Database '{alias}':"))
            super().handle(*args, **{**options, "database": alias})


def _aliases(options: dict[str, Any]) -> list[str]:
    return [options["database"]] if options.get("database") else list(settings.DATABASES)
