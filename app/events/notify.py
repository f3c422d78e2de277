"""Cross-process wake-up on PostgreSQL: a commit that published events sends NOTIFY, and a
relay process LISTENs, so it starts within milliseconds instead of at its next poll."""

import logging
import select
import socket
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from django.db import connections

logger = logging.getLogger(__name__)
CHANNEL = "events_outbox"


def is_postgres(alias: str) -> bool:
    return bool(connections[alias].vendor == "postgresql")


def notify_committed(alias: str) -> None:
    if not is_postgres(alias):
        return
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, alias])
    except Exception:  # a lost wake-up only delays delivery until the next poll
        logger.warning("could not NOTIFY the relay for %s", alias, exc_info=True)


def listen(aliases: Sequence[str], *, interrupt: Sequence[socket.socket] = ()) -> Callable[[float], None] | None:
    """A ``wait(timeout)`` for ``RelayLoop.run`` that returns early on a NOTIFY from any of the
    PostgreSQL ``aliases`` (NOTIFY is per database, so one listener per database), or as soon as
    one of the ``interrupt`` sockets is readable (a stop request: a signal handler cannot wake a
    ``select`` otherwise, Python resumes it after the handler). None when no alias is on PostgreSQL."""
    listeners = [_listener(alias) for alias in aliases if is_postgres(alias)]
    if not listeners:
        return None

    waitables: list[socket.socket | psycopg.Connection[Any]] = [*listeners, *interrupt]

    def wait(timeout: float) -> None:
        ready, _, _ = select.select(waitables, [], [], timeout)
        for listener in ready:
            if listener in listeners:
                for _ in listener.notifies(timeout=0):
                    pass

    return wait


def _listener(alias: str) -> "psycopg.Connection[Any]":
    params = connections[alias].get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    listener = psycopg.connect(**params, autocommit=True)
    listener.execute(f"LISTEN {CHANNEL}")
    return listener
