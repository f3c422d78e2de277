"""Commands: a request that one module (the one whose contract declares it) carry something out.

Where an event announces what its owner did and anyone may listen, a command is sent by any
module (typically a saga) to exactly one handler, the owning module's. Both travel the same way:
an outbox row in the *sender's* transaction, relayed after commit, deduplicated by the handler's
inbox. A command carries a ``command_id`` that is deterministic for the step it serves (e.g. the
saga's id and the step's name), so a command re-sent after a deadline is recognised as the same
request by its handler, which then answers again instead of acting twice.
"""

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID, uuid5

from contracts.kernel.errors import PortNotBoundError
from contracts.kernel.events import Event


@dataclass(frozen=True, kw_only=True)
class Command(Event):
    """Named in the imperative with a version suffix (``ReserveStockV1``). ``source_module()``
    names the module that handles it; the sender is whoever calls ``send``."""

    command_id: UUID


def command_id_for(*, process_id: UUID, step: str) -> UUID:
    """The same id every time the step of one process (a saga) is asked for."""
    return uuid5(process_id, step)


class CommandSender(Protocol):
    def send(self, command: Command, *, sender: str) -> None: ...


class _SenderPort:
    def __init__(self) -> None:
        self._sender: CommandSender | None = None

    def bind(self, sender: CommandSender) -> None:
        self._sender = sender

    def send(self, command: Command, *, sender: str) -> None:
        if self._sender is None:
            raise PortNotBoundError("no command sender bound: app.bootstrap has not run")
        self._sender.send(command, sender=sender)


command_sender = _SenderPort()


def send(command: Command, *, sender: str) -> None:
    """Send ``command`` inside the transaction of ``sender`` (the sending module's name), so the
    request commits, or not, with the state change that decided it (see ``app.events.bus``)."""
    command_sender.send(command, sender=sender)
