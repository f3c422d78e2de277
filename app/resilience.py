"""One resilience layer for every call that leaves the process: remote contract calls, the
gateway's proxied requests, and outbound integrations (e.g. a payment provider).

Per target (a service or provider name): a timeout on every attempt, retries with exponential
backoff and jitter only for operations that are safe to repeat, and a circuit breaker that opens
after consecutive failures, fails fast while open, and half-opens by itself after a cool-down.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pybreaker
import stamina

T = TypeVar("T")


class CircuitOpenError(ConnectionError):
    """The target failed repeatedly; calls fail fast until the breaker half-opens."""


@dataclass(frozen=True, kw_only=True)
class Policy:
    timeout: float = 2.0  # seconds per attempt
    attempts: int = 3  # for operations safe to repeat; others get exactly one
    backoff_initial: float = 0.05
    backoff_max: float = 1.0
    backoff_jitter: float = 0.05  # at most this much random extra per wait (stamina's default is 1 s)
    failures_to_open: int = 5
    reset_after: float = 10.0  # seconds the breaker stays open before a trial call


class Target:
    """A remote dependency with its own breaker. ``call`` runs ``operation`` under the policy;
    ``transient`` says which exceptions mean "the target failed" (they count against the breaker
    and are retried); anything else (a domain error) passes straight through."""

    def __init__(self, name: str, policy: Policy, transient: tuple[type[Exception], ...]) -> None:
        self.name = name
        self.policy = policy
        self.transient = transient
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=policy.failures_to_open,
            reset_timeout=policy.reset_after,
            exclude=[lambda error: not isinstance(error, transient)],
            name=name,
        )

    @property
    def state(self) -> str:
        return str(self.breaker.current_state)

    def call(self, operation: Callable[[], T], *, repeatable: bool) -> T:
        # The first attempt runs on its own: setting a stamina retry loop up costs more than the
        # breaker and the rest of a call's bookkeeping together, and almost every call succeeds.
        try:
            return self._through_breaker(operation)
        except self.transient as failure:
            if not repeatable or self.policy.attempts < 2:
                raise
            first = failure
        return self._retried(operation, first)  # outside the handler: later failures do not chain to it

    def _retried(self, operation: Callable[[], T], first: Exception) -> T:
        """The retry loop, entered with the first attempt's failure: stamina sees it as its own
        first attempt, so counts, backoff and retry hooks are exactly those of a loop from the start."""
        pending: Exception | None = first
        for attempt in stamina.retry_context(
            on=self.transient,
            attempts=self.policy.attempts,
            wait_initial=self.policy.backoff_initial,
            wait_max=self.policy.backoff_max,
            wait_jitter=self.policy.backoff_jitter,
            timeout=None,
        ):
            with attempt:
                if pending is not None:
                    failure, pending = pending, None
                    raise failure
                return self._through_breaker(operation)
        raise AssertionError("unreachable: stamina re-raises the last failure")

    def _through_breaker(self, operation: Callable[[], T]) -> T:
        try:
            return self.breaker.call(operation)
        except pybreaker.CircuitBreakerError as error:
            raise CircuitOpenError(f"{self.name}: circuit open, failing fast") from error


class Targets:
    """One ``Target`` per name, created on first use, shared by every caller in the process."""

    def __init__(self, policy: Policy, transient: tuple[type[Exception], ...]) -> None:
        self._policy = policy
        self._transient = transient
        self._targets: dict[str, Target] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Target:
        with self._lock:
            if name not in self._targets:
                self._targets[name] = Target(name, self._policy, self._transient)
            return self._targets[name]

    def states(self) -> dict[str, str]:
        return {name: target.state for name, target in self._targets.items()}
