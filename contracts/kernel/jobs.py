"""Periodic jobs a module needs run (a saga's deadline sweep, retrying queued work).

A module lists them in ``modules/<m>/jobs.py`` as ``JOBS``; the platform runs the jobs of the
modules a service hosts, every ``every`` seconds, in the relay process (and in the web process's
relay thread for the in-process default). Several processes may run the same job at once, so a
job claims its work with row locks (or is otherwise safe to run concurrently).
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Job:
    id: str  # stable, "<module>.<what>", like a subscription id
    every: float  # seconds between runs
    run: Callable[[], int]  # returns how many items it handled, for logs and metrics

    @property
    def module(self) -> str:
        return self.id.split(".", 1)[0]
