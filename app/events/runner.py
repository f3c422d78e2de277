"""Who runs the relay, and when.

- ``InlineDrainer``: right after a commit, in the committing thread (the in-process default:
  an order is confirmed before its POST returns). Re-entrant: events committed by a handler
  it is running are drained after the current pass, breadth first. Outside the committing
  request's trace: each delivery continues the trace of its own event.
- ``RelayLoop``: a loop over every alias, woken early by a commit in this process (or a
  PostgreSQL NOTIFY from another one), polling as the safety net. It runs as a thread of the
  web process and as ``manage.py relay``.
"""

import logging
import threading
from collections.abc import Callable, Sequence

from django.db import close_old_connections

from app.events.relay import Relay
from app.observability.tracing import outside_any_trace

logger = logging.getLogger(__name__)


class InlineDrainer:
    def __init__(self, relay: Relay) -> None:
        self._relay = relay
        self._local = threading.local()

    def __call__(self, alias: str) -> None:
        dirty: list[str] | None = getattr(self._local, "dirty", None)
        if dirty is not None:
            if alias not in dirty:
                dirty.append(alias)
            return
        self._local.dirty = dirty = [alias]
        try:
            with outside_any_trace():
                while dirty:
                    self._drain(dirty.pop(0))
        finally:
            self._local.dirty = None

    def _drain(self, alias: str) -> None:
        try:
            self._relay.drain(alias, new_only=True)  # retries and the like are the loop's
        except Exception:  # the commit already happened; the relay loop will pick it up
            logger.exception("inline relay pass on %s failed", alias)


class RelayLoop:
    def __init__(self, *, relay: Relay, aliases: Sequence[str], poll_interval: float) -> None:
        self._relay = relay
        self._aliases = tuple(aliases)
        self._poll_interval = poll_interval
        self._wake = threading.Event()
        self.stopping = threading.Event()

    def wake(self, alias: str = "") -> None:
        self._wake.set()

    def stop(self) -> None:
        self.stopping.set()
        self._wake.set()

    def run(self, wait: Callable[[float], None] | None = None) -> None:
        """Until ``stop()``: a pass over every alias, then sleep until woken or polled."""
        wait = wait or self._wait
        while not self.stopping.is_set():
            self.run_pass()
            wait(self._poll_interval)

    def run_pass(self) -> int:
        sent = 0
        for alias in self._aliases:
            try:
                sent += self._relay.drain(alias)
            except Exception:
                logger.exception("relay pass on %s failed; retrying after the poll interval", alias)
        close_old_connections()
        return sent

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="events-relay", daemon=True)
        thread.start()
        return thread

    def _wait(self, timeout: float) -> None:
        self._wake.wait(timeout)
        self._wake.clear()
