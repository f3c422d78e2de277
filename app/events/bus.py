"""publish(event) and send(command): an outbox row in the writing module's transaction; delivered
by the relay after that transaction commits, never for a rolled-back one.

An event belongs to the module whose contract declares it, and that module's database alias is
the transaction it must be published in. A command is written in its sender's transaction. Doing
either outside an atomic block on that alias is an error: the message would no longer be tied to
the change that decided it.
"""

from collections.abc import Callable, Sequence
from functools import partial

from django.db import connections, transaction

from app import propagation
from app.events.context import causal_headers
from app.events.envelope import Envelope
from app.events.outbox import outbox_write
from app.observability.events import observe_publish
from contracts.kernel.commands import Command
from contracts.kernel.events import Event

Waker = Callable[[str], None]


class PublishOutsideTransactionError(RuntimeError):
    pass


class EventBus:
    def __init__(self, *, alias_for_module: Callable[[str], str], wakers: Sequence[Waker] = ()) -> None:
        self._alias_for_module = alias_for_module
        self._wakers = list(wakers)
        self._after_commit: dict[str, Callable[[], None]] = {}  # alias -> its on_commit hook

    def add_waker(self, waker: Waker) -> None:
        """``waker(alias)`` runs after a transaction that published on ``alias`` commits."""
        self._wakers.append(waker)

    @observe_publish
    def publish(self, event: Event) -> None:
        if isinstance(event, Command):
            raise TypeError(f"{event.event_type()} is a command: send it, do not publish it")
        self._write(event, origin=event.source_module())

    @observe_publish
    def send(self, command: Command, *, sender: str) -> None:
        self._write(command, origin=sender)

    def _write(self, message: Event, *, origin: str) -> None:
        alias = self._transaction_alias(message, origin)
        # A correlation id the propagators carry (the request's, or the handled event's) wins.
        headers = {**causal_headers(), **propagation.capture()}
        outbox_write(envelope=Envelope(data=message, headers=headers, origin=origin), alias=alias)
        self._wake_after_commit(alias)

    def _wake_after_commit(self, alias: str) -> None:
        """Once per transaction, however many messages it writes: one wake-up (one NOTIFY on
        PostgreSQL, one inline drain) covers them all. A hook registered inside a savepoint that
        was rolled back is gone from ``run_on_commit``, so the next message registers it again."""
        hook = self._after_commit.get(alias)
        if hook is None:
            hook = self._after_commit[alias] = partial(self._wake, alias)
        if not any(entry[1] is hook for entry in connections[alias].run_on_commit):  # (savepoints, hook, robust)
            transaction.on_commit(hook, using=alias)

    def _wake(self, alias: str) -> None:
        for waker in self._wakers:
            waker(alias)

    def _transaction_alias(self, message: Event, origin: str) -> str:
        alias = self._alias_for_module(origin)
        if not connections[alias].in_atomic_block:
            raise PublishOutsideTransactionError(
                f"{message.event_type()} must be written inside transaction.atomic(using={alias!r})"
            )
        return alias
