"""`startmodule <name>`: one command creates a complete, working, boundary-checked module."""

import argparse
import os
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, DjangoHelpFormatter

from app.scaffold import anatomy
from app.scaffold.create import DEFAULT_ENTITY, Outcome, create_module
from app.scaffold.names import MAX_LENGTH, RefusedError
from app.scaffold.render import RenderError
from app.scaffold.tidy import TidyError
from app.topology import DEFAULT_SERVICE

HELP = """\
Create a domain module that already follows every rule of the project and works end to end.

Nothing else needs an edit: the module is found because its package is there, so it is installed,
given its own database (an SQLite file, or a PostgreSQL database when DATABASE_URL is set), mounted
at /api/<name>/, bound in the contract registry, and covered by the import-linter contracts and the
architecture tests. Then run `python manage.py migrate` (or `make run`) and `make test`.

The name must be a lowercase identifier of at most {max_length} characters that is not a Python
keyword, a standard-library module, a reserved name, an installed app label or an existing module.
Nothing is written unless everything can be: a failure half-way leaves no file behind.

Files created (<name> is the module; with --no-sample, the sample-entity files are left out and
the others start empty):

{table}

{layers}
"""
LAYERS = """\
Layers, enforced by import-linter (pyproject.toml): a file imports only from the layers below its
own, never from a sibling in its layer, and never from another module (only from its contract):

  {layers}"""


class _HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Keeps the line breaks of the anatomy table in --help."""


class Command(BaseCommand):
    help = "Create a complete, working, boundary-checked module (see --help for its anatomy)."
    requires_system_checks: list[str] = []  # scaffolding needs no database and no checks

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        layers = anatomy.layers(settings.BASE_DIR / "pyproject.toml")
        self.help = HELP.format(
            max_length=MAX_LENGTH,
            table=anatomy.help_table(),
            layers=LAYERS.format(layers="\n  > ".join(layers)) if layers else "",
        )
        kwargs.setdefault("formatter_class", _HelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the module's name, e.g. shipping (package, label, database alias)")
        parser.add_argument(
            "--entity",
            help=f"the sample entity, e.g. parcel or ParcelLabel (default: {DEFAULT_ENTITY})",
        )
        parser.add_argument(
            "--no-sample",
            "--bare",
            dest="sample",
            action="store_false",
            help="start without the sample entity: no model, endpoints, events or migration",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="list the files that would be created; write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["entity"] is not None and not options["sample"]:
            raise CommandError("--entity names the sample entity, which --no-sample leaves out: use one of them")
        try:
            outcome = create_module(
                options["name"],
                root=settings.BASE_DIR,
                app_labels=[config.label for config in apps.get_app_configs()],
                database_aliases=list(settings.DATABASES),
                entity=options["entity"] or DEFAULT_ENTITY,
                sample=options["sample"],
                dry_run=options["dry_run"],
                topology=Path(os.environ.get("TOPOLOGY_FILE", settings.BASE_DIR / "topology.toml")),
                service=os.environ.get("SERVICE", DEFAULT_SERVICE),
            )
        except RefusedError as refused:
            raise CommandError(f"cannot create module '{options['name']}': {refused}") from None
        except (OSError, SyntaxError, RenderError, TidyError) as failed:
            raise CommandError(
                f"module '{options['name']}' not created, nothing written: {_one_line(failed)}"
            ) from failed
        self._report(outcome, verbosity=options["verbosity"])

    def _report(self, outcome: Outcome, *, verbosity: int) -> None:
        name, count = outcome.plan.name, len(outcome.plan.files)
        if not outcome.written:
            self.stdout.write(f"Would create module '{name}' ({count} files; nothing written):")
        elif verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(f"Created module '{name}' ({count} files):"))
        if verbosity >= 1 or not outcome.written:
            width = max(len(str(path)) for path in outcome.plan.paths)
            for path in outcome.plan.paths:
                role = anatomy.role(str(path), name=name)
                self.stdout.write(f"  {path!s:<{width}}  {role}".rstrip())
        if outcome.written and verbosity >= 1:
            self._next_steps(outcome)

    def _next_steps(self, outcome: Outcome) -> None:
        if not outcome.tidied:
            self.stderr.write("ruff was not found: run `ruff check --fix` and `ruff format` on the new files")
        self.stdout.write(
            f"Done in {outcome.seconds:.2f}s. Next: `python manage.py migrate` (creates its database), "
            f"`make test`, then `make run` and open /api/docs."
        )


def _one_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
