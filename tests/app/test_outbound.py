"""app/outbound.py, the binding of ``contracts.kernel.outbound``: calls to systems outside ours
under a per-target policy (timeout per attempt, retries only for repeatable operations, a breaker
that opens, fails fast, half-opens by itself) and ``ServiceUnavailableError`` when all that fails."""

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.conf import settings

from app.outbound import OutboundCalls
from app.resilience import Policy
from contracts.kernel.errors import ServiceUnavailableError
from contracts.kernel.outbound import TransientError
from scripts.fake_payment_provider import FakePaymentProvider

FAST: dict[str, Any] = {
    "timeout": 0.1,
    "attempts": 3,
    "backoff_initial": 0.001,
    "backoff_max": 0.002,
    "backoff_jitter": 0.001,
    "failures_to_open": 3,
    "reset_after": 0.2,
}


def calls(**policy: Any) -> OutboundCalls:
    return OutboundCalls({"provider": {**FAST, **policy}})


class Operation:
    """Raises each of ``outcomes`` in turn, then returns "ok"; records the timeouts it was given."""

    def __init__(self, *outcomes: Exception) -> None:
        self.outcomes = list(outcomes)
        self.timeouts: list[float] = []

    def __call__(self, timeout: float) -> str:
        self.timeouts.append(timeout)
        if self.outcomes:
            raise self.outcomes.pop(0)
        return "ok"


def failing(count: int) -> Operation:
    return Operation(*[TransientError("503") for _ in range(count)])


def outcome(outbound: OutboundCalls, operation: Operation, *, repeatable: bool = False) -> Any:
    try:
        return outbound.call("provider", operation, repeatable=repeatable)
    except Exception as error:
        return error


# --- timeouts and retries ------------------------------------------------------------------------


def test_each_attempt_gets_the_targets_timeout() -> None:
    operation = failing(2)
    assert calls(timeout=0.7).call("provider", operation, repeatable=True) == "ok"
    assert operation.timeouts == [0.7, 0.7, 0.7]


@pytest.fixture
def slow() -> Iterator[FakePaymentProvider]:
    with FakePaymentProvider(latency=1.0) as provider:
        yield provider


def test_a_real_http_call_is_cut_at_the_timeout_on_every_attempt(slow) -> None:
    def get(timeout: float) -> int:
        try:
            return httpx.get(f"{slow.url}/v1/authorizations", timeout=timeout).status_code
        except httpx.TimeoutException as error:
            raise TransientError(f"timed out after {timeout} s") from error

    started = time.monotonic()
    with pytest.raises(ServiceUnavailableError, match=r"provider unavailable: timed out after 0\.1 s"):
        calls(failures_to_open=100).call("provider", get, repeatable=True)
    assert time.monotonic() - started < 0.8  # three attempts of 0.1 s, not one of 1 s
    assert slow.count("GET") == 3


def test_a_repeatable_operation_is_retried_until_it_succeeds() -> None:
    operation = failing(2)
    assert calls().call("provider", operation, repeatable=True) == "ok"
    assert len(operation.timeouts) == 3


def test_an_operation_not_safe_to_repeat_is_tried_once() -> None:
    operation = failing(1)
    error = outcome(calls(), operation, repeatable=False)
    assert isinstance(error, ServiceUnavailableError)
    assert len(operation.timeouts) == 1


def test_retries_stop_at_the_policys_attempts_with_the_reason_of_the_last_failure() -> None:
    operation = Operation(TransientError("first"), TransientError("second"), TransientError("third"))
    error = outcome(calls(failures_to_open=100), operation, repeatable=True)
    assert isinstance(error, ServiceUnavailableError)
    assert (error.target, error.reason) == ("provider", "third")
    assert isinstance(error.__cause__, TransientError)


def test_an_answer_that_is_an_exception_passes_through_untried_again_and_not_held_against_the_target() -> None:
    outbound = calls(failures_to_open=2)
    for _ in range(4):
        operation = Operation(ValueError("declined"))
        assert isinstance(outcome(outbound, operation, repeatable=True), ValueError)
        assert len(operation.timeouts) == 1
    assert outbound.states() == {"provider": "closed"}


# --- the circuit breaker -------------------------------------------------------------------------


def test_the_breaker_opens_after_consecutive_failures_and_then_fails_fast() -> None:
    outbound = calls()
    operation = failing(10)
    errors = [outcome(outbound, operation) for _ in range(5)]
    assert all(isinstance(e, ServiceUnavailableError) for e in errors)
    assert [e.reason for e in errors[2:]] == ["provider: circuit open, failing fast"] * 3
    assert len(operation.timeouts) == 3  # the last two never reached the operation
    assert outbound.states() == {"provider": "open"}


def test_an_open_breaker_is_not_retried_even_for_a_repeatable_operation() -> None:
    outbound = calls()
    outcome(outbound, failing(3), repeatable=True)  # three attempts, three failures: open
    untried = Operation()
    started = time.monotonic()
    assert isinstance(outcome(outbound, untried, repeatable=True), ServiceUnavailableError)
    assert untried.timeouts == []
    assert time.monotonic() - started < 0.05


def test_the_breaker_half_opens_after_its_reset_time_and_a_success_closes_it() -> None:
    outbound = calls()
    outcome(outbound, failing(3), repeatable=True)
    assert outbound.states() == {"provider": "open"}
    time.sleep(0.25)
    trial = Operation()
    assert outbound.call("provider", trial, repeatable=True) == "ok"
    assert len(trial.timeouts) == 1
    assert outbound.states() == {"provider": "closed"}


def test_a_failed_trial_opens_the_breaker_again_at_once() -> None:
    outbound = calls()
    outcome(outbound, failing(3), repeatable=True)
    time.sleep(0.25)
    trial = failing(5)
    assert isinstance(outcome(outbound, trial, repeatable=True), ServiceUnavailableError)
    assert len(trial.timeouts) == 1  # one trial, not the policy's three attempts
    assert outbound.states() == {"provider": "open"}


def test_each_target_has_its_own_breaker_and_an_unknown_one_the_default_policy() -> None:
    outbound = OutboundCalls({"provider": FAST})
    outcome(outbound, failing(3), repeatable=True)
    other = Operation()
    assert outbound.call("partner", other, repeatable=False) == "ok"
    assert other.timeouts == [Policy().timeout]
    assert outbound.states() == {"provider": "open", "partner": "closed"}


def test_the_configured_targets_are_valid_policies() -> None:
    outbound = OutboundCalls(settings.OUTBOUND_TARGETS)
    operation = Operation()
    outbound.call("payment-provider", operation, repeatable=True)
    assert operation.timeouts == [settings.OUTBOUND_TARGETS["payment-provider"]["timeout"]]
    with pytest.raises(TypeError, match="retries"):
        OutboundCalls({"provider": {"retries": 3}})  # a typo in settings fails at start-up
