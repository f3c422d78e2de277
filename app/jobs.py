"""Runs the periodic jobs of the modules this service hosts (``modules/<m>/jobs.py``, ``JOBS``).

One ``JobLoop`` per process that should run them: a thread of the web process for the in-process
default (next to the relay thread), and of ``manage.py relay`` in production. Jobs are safe to
run in several processes at once (see ``contracts.kernel.jobs``), so no leader election is needed.
"""

import logging
import threading
import time
from collections.abc import Callable, Sequence

from django.db import close_old_connections

from contracts.kernel.jobs import Job

logger = logging.getLogger(__name__)


class JobLoop:
    def __init__(self, jobs: Sequence[Job], *, clock: Callable[[], float] = time.monotonic) -> None:
        self.jobs = tuple(jobs)
        self._clock = clock
        self._next_run = {job.id: 0.0 for job in self.jobs}
        self._stopping = threading.Event()

    def run_due(self) -> int:
        """Run every job whose time has come; returns how many items they handled."""
        handled = 0
        for job in self.jobs:
            if self._clock() >= self._next_run[job.id]:
                handled += self._run(job)
                self._next_run[job.id] = self._clock() + job.every
        close_old_connections()
        return handled

    def run_all(self) -> dict[str, int]:
        """Every job once, now (``manage.py jobs --once``, tests)."""
        return {job.id: self._run(job) for job in self.jobs}

    def run(self) -> None:
        while not self._stopping.is_set():
            self.run_due()
            self._stopping.wait(self._seconds_to_next())

    def stop(self) -> None:
        self._stopping.set()

    def start_thread(self) -> threading.Thread | None:
        if not self.jobs:
            return None
        thread = threading.Thread(target=self.run, name="jobs", daemon=True)
        thread.start()
        return thread

    def _run(self, job: Job) -> int:
        try:
            handled = job.run()
        except Exception:  # one failing job must not stop the others; it runs again next time
            logger.exception("job %s failed", job.id)
            return 0
        if handled:
            logger.info("job %s handled %d item(s)", job.id, handled)
        return handled

    def _seconds_to_next(self) -> float:
        return max(0.05, min(self._next_run.values(), default=1.0) - self._clock())
