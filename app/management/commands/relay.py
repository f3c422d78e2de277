"""`manage.py relay`: the long-running process that delivers committed outbox rows, and runs the
hosted modules' periodic jobs (saga deadlines, queued payments) in a second thread.

Woken by PostgreSQL NOTIFY when the databases are on PostgreSQL, polling every
EVENTS_POLL_INTERVAL seconds otherwise (and always, as the safety net). SIGTERM or Ctrl-C
finish the current pass and exit cleanly.
"""

import signal
import socket
from typing import Any

from django.core.management.base import BaseCommand

from app.bootstrap import runtime
from app.events.notify import listen


class Command(BaseCommand):
    help = "Deliver committed events from every module's outbox until stopped (SIGTERM/SIGINT)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="run one pass over every outbox and exit")
        parser.add_argument("--no-jobs", action="store_true", help="deliver events only; run no periodic jobs")

    def handle(self, *args: Any, **options: Any) -> None:
        loop = runtime().loop
        if options["once"]:
            self.stdout.write(f"relay: {loop.run_pass()} deliveries sent")
            return
        stop_requested, request_stop = socket.socketpair()

        def stop(*_: Any) -> None:
            loop.stop()
            request_stop.send(b"x")  # wakes the LISTEN wait, which may be sleeping for a whole poll interval

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, stop)
        self.stdout.write(f"relay: delivering from {', '.join(runtime().aliases)}")
        jobs = None if options["no_jobs"] else runtime().jobs.start_thread()
        loop.run(wait=listen(runtime().aliases, interrupt=[stop_requested]))
        if jobs is not None:
            runtime().jobs.stop()
            jobs.join(timeout=10)
        self.stdout.write("relay: stopped")
