"""`manage.py jobs`: list the periodic jobs this service runs, or run them now."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from app.bootstrap import runtime
from contracts.kernel.jobs import Job


class Command(BaseCommand):
    help = "List the hosted modules' periodic jobs (--list, the default) or run them once (--once [ID ...])."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="run the jobs once, now, and exit")
        parser.add_argument("ids", nargs="*", help="only these job ids (default: every job)")

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = runtime().jobs.jobs
        unknown = set(options["ids"]) - {job.id for job in jobs}
        if unknown:
            raise CommandError(f"unknown job id(s): {', '.join(sorted(unknown))} (see `manage.py jobs`)")
        chosen = [job for job in jobs if not options["ids"] or job.id in options["ids"]]
        for job in chosen:
            if options["once"]:
                self.stdout.write(f"{job.id}: {_run(job)} item(s) handled")
            else:
                self.stdout.write(f"{job.id}  every {job.every:g}s")


def _run(job: Job) -> int:
    try:
        return job.run()
    except Exception as error:
        raise CommandError(f"{job.id} failed: {type(error).__name__}: {error}") from error
