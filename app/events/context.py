"""The envelope being handled right now, so events a handler publishes carry its correlation id
and name it as their cause."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from app.events.envelope import Envelope
from app.events.ids import uuid7

_handling: ContextVar[Envelope | None] = ContextVar("handling_envelope", default=None)


@contextmanager
def handling(envelope: Envelope) -> Iterator[None]:
    token = _handling.set(envelope)
    try:
        yield
    finally:
        _handling.reset(token)


def causal_headers() -> dict[str, str]:
    cause = _handling.get()
    if cause is None:
        return {"correlation_id": str(uuid7())}
    return {
        "correlation_id": cause.headers.get("correlation_id", str(cause.id)),
        "causation_id": str(cause.id),
    }
