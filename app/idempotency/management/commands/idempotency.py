"""`manage.py idempotency purge`: delete expired Idempotency-Key records in every module database."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from app.bootstrap import runtime
from app.idempotency.services import idempotency_purge_expired


class Command(BaseCommand):
    help = "Idempotency keys. purge: delete the expired records of every module database this service hosts."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("purge", help="delete expired records; prints how many per database")

    def handle(self, *args: Any, **options: Any) -> None:
        for alias in runtime().aliases:
            try:
                purged = idempotency_purge_expired(alias=alias)
            except DatabaseError as error:
                reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                raise CommandError(f"cannot purge idempotency keys in {alias}: {reason}") from error
            self.stdout.write(f"{alias}: purged {purged} expired idempotency key(s)")
