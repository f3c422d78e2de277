"""Loads each module's demo data (its optional `demo.py`). Safe to run any number of times."""

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from app import demo
from app.modules import discover_modules


class Command(BaseCommand):
    help = "Load demo data into every module that ships some (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"platform: {demo.load()} demo user(s) created")
        for spec in (s for s in discover_modules() if s.name in settings.HOSTED_MODULES):
            if find_spec(f"{spec.package}.demo") is None:
                continue
            created = import_module(f"{spec.package}.demo").load()
            self.stdout.write(f"{spec.name}: {created} demo record(s) created")
