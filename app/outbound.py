"""The binding of ``contracts.kernel.outbound``: calls to systems outside ours (a payment
provider) through the same resilience layer as remote contract calls, one breaker per target.

Each target's policy comes from ``settings.OUTBOUND_TARGETS`` (name -> ``Policy`` fields), with
``Policy``'s defaults for anything unset. The module's operation raises ``TransientError`` for
what is worth retrying; when the target stays unavailable, or its breaker is open, the caller
gets ``ServiceUnavailableError`` and applies its fallback.
"""

import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from app.resilience import CircuitOpenError, Policy, Target
from contracts.kernel.errors import ServiceUnavailableError
from contracts.kernel.outbound import TransientError

T = TypeVar("T")


class OutboundCalls:
    def __init__(self, policies: Mapping[str, Mapping[str, Any]]) -> None:
        self._policies = {name: Policy(**fields) for name, fields in policies.items()}
        self._targets: dict[str, Target] = {}
        self._lock = threading.Lock()

    def call(self, target: str, operation: Callable[[float], T], *, repeatable: bool) -> T:
        guarded = self._target(target)
        try:
            return guarded.call(lambda: operation(guarded.policy.timeout), repeatable=repeatable)
        except (TransientError, CircuitOpenError) as error:
            raise ServiceUnavailableError(target, str(error) or type(error).__name__) from error

    def reset(self, policies: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        """Forget every breaker's state (tests; an operator after fixing a partner's outage),
        and take new policies if given."""
        with self._lock:
            self._targets.clear()
            if policies is not None:
                self._policies = {name: Policy(**fields) for name, fields in policies.items()}

    def states(self) -> dict[str, str]:
        return {name: target.state for name, target in self._targets.items()}

    def _target(self, name: str) -> Target:
        with self._lock:
            if name not in self._targets:
                self._targets[name] = Target(name, self._policies.get(name, Policy()), (TransientError,))
            return self._targets[name]
