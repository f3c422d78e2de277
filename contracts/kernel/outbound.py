"""Calls that leave the system (a partner's HTTP API, e.g. a payment provider), made through the
one resilience layer the composition root installs (``app.resilience``): a timeout per attempt,
retries with jittered backoff only when the operation is safe to repeat, and a circuit breaker
per target that fails fast while open and half-opens by itself.

The module supplies the operation and says which failures are worth retrying by raising
``TransientError``; anything else (a decline, a validation error) passes straight through.
When the target stays unavailable, or its breaker is open, ``call`` raises
``ServiceUnavailableError`` and the caller applies its fallback.
"""

from collections.abc import Callable
from typing import Protocol, TypeVar

from contracts.kernel.errors import PortNotBoundError

T = TypeVar("T")


class TransientError(Exception):
    """The target failed in a way a later attempt may not: a timeout, a refused connection, 5xx."""


class OutboundCaller(Protocol):
    def call(self, target: str, operation: Callable[[float], T], *, repeatable: bool) -> T: ...


class _OutboundPort:
    def __init__(self) -> None:
        self._caller: OutboundCaller | None = None

    def bind(self, caller: OutboundCaller) -> None:
        self._caller = caller

    def call(self, target: str, operation: Callable[[float], T], *, repeatable: bool) -> T:
        """Run ``operation(timeout_seconds)`` against ``target`` under its resilience policy."""
        if self._caller is None:
            raise PortNotBoundError("no outbound caller bound: app.bootstrap has not run")
        return self._caller.call(target, operation, repeatable=repeatable)


outbound = _OutboundPort()
