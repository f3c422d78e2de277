"""The resilience layer: a timeout per attempt, retries with bounded jittered backoff only for
what is safe to repeat, and a circuit breaker per target that domain errors do not trip."""

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import stamina
from stamina.instrumentation import get_on_retry_hooks, set_on_retry_hooks

from app.modules import ModuleSpec
from app.remote.client import TRANSIENT, RemoteContract
from app.resilience import CircuitOpenError, Policy, Target, Targets
from contracts.inventory.errors import UnknownSkusError
from contracts.kernel.errors import ServiceUnavailableError
from tests.app.upstream import Reply, Upstream

FAST: dict[str, Any] = {"attempts": 3, "failures_to_open": 3, "reset_after": 0.2}


@pytest.fixture
def no_backoff() -> Iterator[None]:
    with stamina.set_testing(True, attempts=100, cap=True):  # retries keep their count, lose their waits
        yield


@pytest.fixture
def waits() -> Iterator[list[float]]:
    """The backoff stamina chose before each retry, in seconds."""
    chosen: list[float] = []
    saved = get_on_retry_hooks()
    set_on_retry_hooks([lambda details: chosen.append(details.wait_for)])
    yield chosen
    set_on_retry_hooks(saved)


def target(**policy: Any) -> Target:
    return Target("inventory", Policy(**{**FAST, **policy}), (httpx.TransportError,))


class Operation:
    """Fails with each of ``outcomes`` in turn (an exception), then returns "ok"; counts calls."""

    def __init__(self, *outcomes: Exception) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.outcomes:
            raise self.outcomes.pop(0)
        return "ok"


def down() -> httpx.ConnectError:
    return httpx.ConnectError("connection refused")


def calls(target: Target, operation: Callable[[], Any], *, repeatable: bool = False) -> Any:
    try:
        return target.call(operation, repeatable=repeatable)
    except Exception as error:
        return type(error)


# --- retries ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_backoff")
def test_a_repeatable_operation_is_retried_until_it_succeeds() -> None:
    operation = Operation(down(), httpx.ReadTimeout("slow"))
    assert target().call(operation, repeatable=True) == "ok"
    assert operation.calls == 3


@pytest.mark.usefixtures("no_backoff")
def test_retries_stop_after_the_policys_attempts_with_the_last_failure() -> None:
    operation = Operation(down(), down(), httpx.ReadTimeout("slow"), down())
    with pytest.raises(httpx.ReadTimeout):
        target(failures_to_open=100).call(operation, repeatable=True)
    assert operation.calls == 3


@pytest.mark.usefixtures("no_backoff")
def test_an_operation_not_safe_to_repeat_is_tried_once() -> None:
    operation = Operation(httpx.ReadTimeout("slow"))
    with pytest.raises(httpx.ReadTimeout):
        target().call(operation, repeatable=False)
    assert operation.calls == 1


@pytest.mark.usefixtures("no_backoff")
def test_a_domain_error_is_an_answer_it_is_neither_retried_nor_held_against_the_target() -> None:
    guarded = target(failures_to_open=2)
    for _ in range(5):
        operation = Operation(UnknownSkusError(("ZZ",)))
        with pytest.raises(UnknownSkusError):
            guarded.call(operation, repeatable=True)
        assert operation.calls == 1
    assert (guarded.state, guarded.breaker.fail_counter) == ("closed", 0)


def test_backoff_grows_from_the_initial_wait_with_bounded_jitter_and_is_capped(waits) -> None:
    policy = {"attempts": 6, "backoff_initial": 0.001, "backoff_max": 0.008, "backoff_jitter": 0.002}
    started = time.monotonic()
    with pytest.raises(httpx.ConnectError):
        target(**policy, failures_to_open=100).call(Operation(*[down()] * 6), repeatable=True)
    assert len(waits) == 5
    for retry, wait in enumerate(waits, start=1):
        floor = min(0.008, 0.001 * 2 ** (retry - 1))
        assert floor - 1e-9 <= wait <= min(0.008, floor + 0.002) + 1e-9
    assert waits[-1] == pytest.approx(0.008)  # 0.016 + jitter, capped
    assert time.monotonic() - started < 0.5


def test_the_default_policy_waits_tens_of_milliseconds_not_seconds(waits) -> None:
    with pytest.raises(httpx.ConnectError):
        target(failures_to_open=100).call(Operation(down(), down(), down()), repeatable=True)
    assert len(waits) == 2
    assert all(wait <= Policy().backoff_initial * 2 + Policy().backoff_jitter for wait in waits)


# --- circuit breaker -------------------------------------------------------------------------


def test_the_breaker_opens_after_consecutive_failures_then_fails_fast_without_calling() -> None:
    guarded = target(failures_to_open=3)
    operation = Operation(*[down()] * 10)
    outcomes = [calls(guarded, operation) for _ in range(5)]
    assert outcomes == [httpx.ConnectError, httpx.ConnectError, CircuitOpenError, CircuitOpenError, CircuitOpenError]
    assert operation.calls == 3  # the third failure opened it; the two after never reached the target
    assert guarded.state == "open"


@pytest.mark.usefixtures("no_backoff")
def test_an_open_breaker_is_not_retried_even_for_a_repeatable_operation() -> None:
    guarded = target()
    guarded.breaker.open()
    operation = Operation()
    with pytest.raises(CircuitOpenError, match="inventory: circuit open"):
        guarded.call(operation, repeatable=True)
    assert operation.calls == 0


def test_failures_must_be_consecutive_a_success_starts_the_count_again() -> None:
    guarded = target(failures_to_open=3)
    for outcome in (down(), down(), None, down(), down()):
        calls(guarded, Operation(outcome) if outcome else Operation())
    assert (guarded.state, guarded.breaker.fail_counter) == ("closed", 2)


def test_the_breaker_half_opens_after_the_cool_down_and_closes_on_success() -> None:
    guarded = target(failures_to_open=1, reset_after=0.1)
    assert calls(guarded, Operation(down())) is CircuitOpenError  # the one failure allowed trips it
    assert calls(guarded, Operation()) is CircuitOpenError
    time.sleep(0.15)
    trial = Operation()
    assert guarded.call(trial, repeatable=False) == "ok"
    assert trial.calls == 1
    assert guarded.state == "closed"


def test_a_failed_trial_call_opens_the_breaker_again_at_once() -> None:
    guarded = target(failures_to_open=3, reset_after=0.1)
    for _ in range(3):
        calls(guarded, Operation(down()))
    time.sleep(0.15)
    assert calls(guarded, Operation(down())) is CircuitOpenError
    assert guarded.state == "open"
    untried = Operation()
    assert calls(guarded, untried) is CircuitOpenError
    assert untried.calls == 0


def test_each_target_has_its_own_breaker() -> None:
    targets = Targets(Policy(**FAST), (httpx.TransportError,))
    assert targets.get("inventory") is targets.get("inventory")
    targets.get("inventory").breaker.open()
    assert targets.get("payments").call(Operation(), repeatable=False) == "ok"
    assert targets.states() == {"inventory": "open", "payments": "closed"}


# --- the policy applied to real calls ----------------------------------------------------------


@pytest.fixture
def slow() -> Iterator[Upstream]:
    with Upstream(lambda _: Reply(delay=1.0, body=b'{"result": []}')).running() as upstream:
        yield upstream


@pytest.mark.usefixtures("no_backoff")
def test_every_attempt_of_a_remote_call_is_cut_at_the_policys_timeout(slow) -> None:
    spec = ModuleSpec("inventory")
    with httpx.Client(timeout=30.0) as http:  # the client's own timeout is not what applies
        inventory: Any = RemoteContract(
            interface=spec.interface(),
            module="inventory",
            base_url=slow.url,
            token="t",
            target=Target("inventory", Policy(timeout=0.1, attempts=2), TRANSIENT),
            http=http,
        )
        started = time.monotonic()
        with pytest.raises(ServiceUnavailableError, match="timed out"):
            inventory.get_prices(skus=("KB",))
    assert time.monotonic() - started < 0.8
    assert len(slow.received) == 2  # get_prices is idempotent: the timed-out attempt was retried
