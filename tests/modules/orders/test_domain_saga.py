"""The saga's rules, without a database: every path through reserve -> authorize -> confirm ->
capture, its compensations, deadlines and the answers that arrive late, twice or out of order."""

import pytest

from modules.orders.domain.order import OrderStatus
from modules.orders.domain.saga import (
    CommandSent,
    NotCancellableError,
    NotStuckError,
    OrderMoved,
    Outcome,
    Reply,
    ReplyIgnored,
    Saga,
    SagaState,
    Step,
    Wait,
    describe,
)

OK, FAILED, QUEUED = Outcome.SUCCEEDED, Outcome.FAILED, Outcome.QUEUED


def answered(saga: Saga, step: Step, outcome: Outcome = OK, detail: str = "") -> Saga:
    saga.effects.clear()
    saga.handle(Reply(step=step, outcome=outcome, detail=detail))
    return saga


def commands(saga: Saga) -> list[tuple[Step, bool]]:
    return [(e.step, e.resend) for e in saga.effects if isinstance(e, CommandSent)]


def moves(saga: Saga) -> list[OrderMoved]:
    return [e for e in saga.effects if isinstance(e, OrderMoved)]


def confirmed() -> Saga:
    return answered(answered(Saga.start(), Step.RESERVE_STOCK), Step.AUTHORIZE_PAYMENT)


def test_starting_asks_for_stock() -> None:
    saga = Saga.start()
    assert (saga.state, saga.step, commands(saga)) == (
        SagaState.RUNNING,
        Step.RESERVE_STOCK,
        [(Step.RESERVE_STOCK, False)],
    )


def test_the_happy_path_confirms_before_capturing_then_completes() -> None:
    saga = answered(Saga.start(), Step.RESERVE_STOCK)
    assert commands(saga) == [(Step.AUTHORIZE_PAYMENT, False)]
    saga = answered(saga, Step.AUTHORIZE_PAYMENT)
    assert moves(saga) == [OrderMoved(OrderStatus.CONFIRMED)]
    assert commands(saga) == [(Step.CAPTURE_PAYMENT, False)]
    saga = answered(saga, Step.CAPTURE_PAYMENT)
    assert saga.state == SagaState.COMPLETED
    assert saga.done == [Step.RESERVE_STOCK, Step.AUTHORIZE_PAYMENT, Step.CONFIRM_ORDER, Step.CAPTURE_PAYMENT]


def test_no_stock_rejects_with_nothing_to_undo() -> None:
    saga = answered(Saga.start(), Step.RESERVE_STOCK, FAILED, "insufficient stock for DK")
    assert saga.state == SagaState.COMPENSATED
    assert commands(saga) == []
    assert moves(saga) == [OrderMoved(OrderStatus.REJECTED, "insufficient stock for DK")]


def test_a_declined_payment_releases_the_stock_then_rejects() -> None:
    saga = answered(answered(Saga.start(), Step.RESERVE_STOCK), Step.AUTHORIZE_PAYMENT, FAILED, "card declined")
    assert (saga.state, commands(saga), moves(saga)) == (SagaState.COMPENSATING, [(Step.RELEASE_STOCK, False)], [])
    saga = answered(saga, Step.RELEASE_STOCK)
    assert saga.state == SagaState.COMPENSATED
    assert moves(saga) == [OrderMoved(OrderStatus.REJECTED, "card declined")]


def test_a_queued_payment_waits_longer_then_confirms_when_authorized() -> None:
    saga = answered(answered(Saga.start(), Step.RESERVE_STOCK), Step.AUTHORIZE_PAYMENT, QUEUED, "provider down")
    assert (moves(saga), saga.wait, commands(saga)) == ([OrderMoved(OrderStatus.PAYMENT_QUEUED)], Wait.QUEUED, [])
    saga = answered(saga, Step.AUTHORIZE_PAYMENT)
    assert moves(saga) == [OrderMoved(OrderStatus.CONFIRMED)]
    assert saga.wait == Wait.REPLY


@pytest.mark.parametrize(
    ("answers", "undo"),
    [
        ([], [Step.RELEASE_STOCK]),  # the reservation may be on its way: released anyway
        ([Step.RESERVE_STOCK], [Step.VOID_PAYMENT, Step.RELEASE_STOCK]),
        ([Step.RESERVE_STOCK, Step.AUTHORIZE_PAYMENT], [Step.VOID_PAYMENT, Step.RELEASE_STOCK]),
    ],
)
def test_cancelling_undoes_in_reverse_order_then_cancels(answers: list[Step], undo: list[Step]) -> None:
    saga = Saga.start()
    for step in answers:
        saga = answered(saga, step)
    saga.effects.clear()
    saga.cancel(reason="changed my mind")
    asked = commands(saga)
    for _ in undo[1:]:
        saga = answered(saga, asked[-1][0])
        asked += commands(saga)
    saga = answered(saga, asked[-1][0])
    assert [step for step, _ in asked] == undo
    assert saga.state == SagaState.COMPENSATED
    assert moves(saga) == [OrderMoved(OrderStatus.CANCELLED, "changed my mind")]


def test_a_capture_that_wins_the_race_with_a_cancellation_keeps_the_order_confirmed() -> None:
    saga = confirmed()
    saga.cancel(reason="too late?")
    saga = answered(saga, Step.CAPTURE_PAYMENT)
    assert (saga.state, saga.outcome, moves(saga)) == (SagaState.COMPLETED, None, [])
    assert answered(saga, Step.VOID_PAYMENT).state == SagaState.COMPLETED  # nothing more happens


def test_a_captured_or_closed_order_cannot_be_cancelled_and_a_second_cancel_is_a_no_op() -> None:
    saga = answered(confirmed(), Step.CAPTURE_PAYMENT)
    with pytest.raises(NotCancellableError):
        saga.cancel(reason="x")
    saga = Saga.start()
    saga.cancel(reason="x")
    saga.effects.clear()
    saga.cancel(reason="again")
    assert saga.effects == []


def test_duplicate_and_stale_answers_are_ignored() -> None:
    saga = answered(Saga.start(), Step.RESERVE_STOCK)
    again = answered(saga, Step.RESERVE_STOCK)
    assert [type(e) for e in again.effects] == [ReplyIgnored]
    assert again.step == Step.AUTHORIZE_PAYMENT
    assert [type(e) for e in answered(saga, Step.CAPTURE_PAYMENT).effects] == [ReplyIgnored]


def test_a_late_reservation_after_a_cancellation_is_ignored() -> None:
    saga = Saga.start()
    saga.cancel(reason="x")
    assert [type(e) for e in answered(saga, Step.RESERVE_STOCK).effects] == [ReplyIgnored]
    assert saga.step == Step.RELEASE_STOCK


def test_an_unanswered_step_is_asked_again_with_the_same_command_then_compensated() -> None:
    saga = answered(Saga.start(), Step.RESERVE_STOCK)
    for attempt in (1, 2):
        saga.effects.clear()
        saga.deadline_passed(max_resends=2)
        assert commands(saga) == [(Step.AUTHORIZE_PAYMENT, True)]
        assert saga.resends == attempt
    saga.effects.clear()
    saga.deadline_passed(max_resends=2)
    assert saga.state == SagaState.COMPENSATING
    assert commands(saga) == [(Step.VOID_PAYMENT, False)]  # the authorization may have happened


def test_a_step_after_the_pivot_that_stays_unanswered_needs_an_operator_who_can_retry_it() -> None:
    saga = confirmed()
    saga.deadline_passed(max_resends=0)
    assert saga.state == SagaState.NEEDS_ATTENTION
    saga.effects.clear()
    saga.retry()
    assert (saga.state, saga.resends, commands(saga)) == (SagaState.RUNNING, 0, [(Step.CAPTURE_PAYMENT, True)])
    with pytest.raises(NotStuckError):
        saga.retry()


def test_a_stuck_compensation_needs_an_operator_and_its_late_answer_still_finishes_it() -> None:
    saga = Saga.start()
    saga.cancel(reason="x")
    saga.deadline_passed(max_resends=0)
    assert saga.state == SagaState.NEEDS_ATTENTION
    saga = answered(saga, Step.RELEASE_STOCK)
    assert saga.state == SagaState.COMPENSATED
    assert moves(saga) == [OrderMoved(OrderStatus.CANCELLED, "x")]


def test_a_finished_saga_ignores_deadlines() -> None:
    saga = answered(confirmed(), Step.CAPTURE_PAYMENT)
    saga.effects.clear()
    saga.deadline_passed(max_resends=0)
    assert (saga.state, saga.effects) == (SagaState.COMPLETED, [])


def test_every_effect_reads_as_one_log_line() -> None:
    saga = answered(answered(Saga.start(), Step.RESERVE_STOCK), Step.AUTHORIZE_PAYMENT, FAILED, "declined")
    lines = [describe(effect) for effect in saga.effects]
    assert lines == [
        "authorize_payment failed: declined",
        "release_stock started",
        "sent the release_stock command",
    ]
