"""Who is acting: the principal, available to every module without Django's request.

Set by the composition root for the duration of a request (from a verified token), an event
handler (from the actor claims the event carries) or a remote contract call (forwarded by the
calling service). ``None`` means trusted system code acting on its own behalf (a relay, a
worker handling an event that had no actor, a management command).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

STAFF = "staff"


@dataclass(frozen=True, kw_only=True)
class Principal:
    subject: str
    roles: tuple[str, ...] = ()
    email: str = ""

    @property
    def is_staff(self) -> bool:
        return STAFF in self.roles

    def may_see(self, owner_subject: str) -> bool:
        return self.is_staff or self.subject == owner_subject


_current: ContextVar[Principal | None] = ContextVar("principal", default=None)


def current_principal() -> Principal | None:
    return _current.get()


@contextmanager
def acting_as(principal: Principal | None) -> Iterator[None]:
    token = _current.set(principal)
    try:
        yield
    finally:
        _current.reset(token)


def set_current_principal(principal: Principal | None) -> None:
    """For the composition root's request authentication, whose middleware resets it when the
    request ends; everything else uses ``acting_as``."""
    _current.set(principal)
