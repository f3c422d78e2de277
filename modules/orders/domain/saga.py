"""The order saga as pure rules: given its state and what just happened (a participant's reply,
a deadline, a cancellation), what changes and what must be asked next.

Forward: reserve stock -> authorize payment -> confirm order (the pivot) -> capture payment.
Compensation runs the undo of every forward step that may have happened, in reverse order:
void payment, then release stock. The step whose answer never came counts as "may have
happened": undoing something that did not happen is a no-op for the participants.

The saga never talks to the database or the bus. Each method appends ``Effect``s that the
service applies in one transaction: record a step, send the step's command, move the order.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from modules.orders.domain.order import OrderStatus


class Step(StrEnum):
    RESERVE_STOCK = "reserve_stock"
    AUTHORIZE_PAYMENT = "authorize_payment"
    CONFIRM_ORDER = "confirm_order"
    CAPTURE_PAYMENT = "capture_payment"
    VOID_PAYMENT = "void_payment"
    RELEASE_STOCK = "release_stock"


UNDO = {Step.RESERVE_STOCK: Step.RELEASE_STOCK, Step.AUTHORIZE_PAYMENT: Step.VOID_PAYMENT}
BEFORE_PIVOT = frozenset({Step.RESERVE_STOCK, Step.AUTHORIZE_PAYMENT})


class SagaState(StrEnum):
    RUNNING = "RUNNING"  # waiting for the answer to a forward step
    COMPENSATING = "COMPENSATING"  # waiting for the answer to an undo step
    COMPLETED = "COMPLETED"  # payment captured
    COMPENSATED = "COMPENSATED"  # everything undone; the order is REJECTED or CANCELLED
    NEEDS_ATTENTION = "NEEDS_ATTENTION"  # a step that must succeed keeps getting no answer


ACTIVE = frozenset({SagaState.RUNNING, SagaState.COMPENSATING})


class Outcome(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    QUEUED = "QUEUED"  # accepted, answer later (a payment waiting for its provider)


class Wait(StrEnum):
    REPLY = "reply"  # the usual deadline for an answer
    QUEUED = "queued"  # the longer one while a participant has queued the work


@dataclass(frozen=True, kw_only=True)
class Reply:
    step: Step
    outcome: Outcome
    detail: str = ""


class NotCancellableError(ValueError):
    pass


class NotStuckError(ValueError):
    pass


# Effects: what the service must do, in order.
@dataclass(frozen=True)
class StepStarted:
    step: Step


@dataclass(frozen=True)
class StepFinished:
    step: Step
    outcome: Outcome
    detail: str = ""


@dataclass(frozen=True)
class StepNoted:
    step: Step
    detail: str


@dataclass(frozen=True)
class CommandSent:
    step: Step
    resend: bool = False


@dataclass(frozen=True)
class OrderMoved:
    status: OrderStatus
    reason: str = ""


@dataclass(frozen=True)
class ReplyIgnored:
    reply: Reply
    why: str


Effect = StepStarted | StepFinished | StepNoted | CommandSent | OrderMoved | ReplyIgnored


@dataclass(kw_only=True)
class Saga:
    state: SagaState
    step: Step  # the step waiting for its answer (or the one stuck)
    done: list[Step] = field(default_factory=list)  # forward steps that happened (or may have), in order
    undone: list[Step] = field(default_factory=list)  # undo steps that succeeded
    outcome: OrderStatus | None = None  # where compensation ends: REJECTED or CANCELLED
    reason: str = ""
    resends: int = 0
    wait: Wait = Wait.REPLY
    effects: list[Effect] = field(default_factory=list)

    @classmethod
    def start(cls) -> "Saga":
        saga = cls(state=SagaState.RUNNING, step=Step.RESERVE_STOCK)
        saga._begin(Step.RESERVE_STOCK)
        return saga

    # -- what happens to it --------------------------------------------------------------------

    def handle(self, reply: Reply) -> None:
        if self._cancel_lost_to_capture(reply):
            return
        if reply.step != self.step or self.state not in (*ACTIVE, SagaState.NEEDS_ATTENTION):
            self.effects.append(ReplyIgnored(reply, f"the saga is {self.state} at {self.step}"))
            return
        if self.state == SagaState.NEEDS_ATTENTION:  # the answer came after all
            self.state = SagaState.COMPENSATING if self.step in UNDO.values() else SagaState.RUNNING
        {
            Outcome.SUCCEEDED: self._succeeded,
            Outcome.FAILED: self._failed,
            Outcome.QUEUED: self._queued,
        }[reply.outcome](reply)

    def cancel(self, *, reason: str) -> None:
        """Undo what may have happened and end CANCELLED. A second cancel changes nothing."""
        if self.outcome == OrderStatus.CANCELLED:
            return
        if self.state != SagaState.RUNNING:
            raise NotCancellableError(f"the order can no longer be cancelled: its saga is {self.state}")
        self._compensate(OrderStatus.CANCELLED, reason, unanswered=self.step)

    def deadline_passed(self, *, max_resends: int) -> None:
        """No answer in time: ask again (same command id), then give up on the step: undo it
        if it comes before the pivot, or call an operator if it must succeed."""
        if self.state not in ACTIVE:
            return
        if self.resends < max_resends:
            self.resends += 1
            self.effects += [StepNoted(self.step, f"no answer in time: asked again ({self.resends})")]
            self.effects.append(CommandSent(self.step, resend=True))
        elif self.state == SagaState.RUNNING and self.step in BEFORE_PIVOT:
            self._compensate(OrderStatus.REJECTED, f"no answer to {self.step} in time", unanswered=self.step)
        else:
            self.effects.append(StepNoted(self.step, "no answer after every re-send: needs an operator"))
            self.state = SagaState.NEEDS_ATTENTION

    def retry(self) -> None:
        """An operator asks the stuck step again (its participant is fixed or back)."""
        if self.state != SagaState.NEEDS_ATTENTION:
            raise NotStuckError(f"only a saga that needs attention can be retried; this one is {self.state}")
        self.state = SagaState.COMPENSATING if self.step in UNDO.values() else SagaState.RUNNING
        self.resends = 0
        self.effects += [StepNoted(self.step, "retried by an operator"), CommandSent(self.step, resend=True)]

    # -- forward -----------------------------------------------------------------------------

    def _succeeded(self, reply: Reply) -> None:
        self.effects.append(StepFinished(self.step, Outcome.SUCCEEDED, reply.detail))
        if self.state == SagaState.COMPENSATING:
            self.undone.append(self.step)
            self._next_undo()
        elif self.step == Step.RESERVE_STOCK:
            self.done.append(Step.RESERVE_STOCK)
            self._begin(Step.AUTHORIZE_PAYMENT)
        elif self.step == Step.AUTHORIZE_PAYMENT:
            self.done.append(Step.AUTHORIZE_PAYMENT)
            self._confirm()
        else:
            self.done.append(Step.CAPTURE_PAYMENT)
            self.state = SagaState.COMPLETED

    def _confirm(self) -> None:
        self.effects += [
            StepStarted(Step.CONFIRM_ORDER),
            OrderMoved(OrderStatus.CONFIRMED),
            StepFinished(Step.CONFIRM_ORDER, Outcome.SUCCEEDED),
        ]
        self.done.append(Step.CONFIRM_ORDER)
        self._begin(Step.CAPTURE_PAYMENT)

    def _failed(self, reply: Reply) -> None:
        self.effects.append(StepFinished(self.step, Outcome.FAILED, reply.detail))
        if self.state == SagaState.COMPENSATING:  # undo steps do not fail, they are retried
            self.effects.append(StepNoted(self.step, "an undo step reported failure"))
            self.state = SagaState.NEEDS_ATTENTION
            return
        self._compensate(OrderStatus.REJECTED, reply.detail, unanswered=None)

    def _queued(self, reply: Reply) -> None:
        self.effects.append(StepNoted(self.step, f"queued: {reply.detail}"))
        if self.state == SagaState.RUNNING and self.step == Step.AUTHORIZE_PAYMENT:
            self.effects.append(OrderMoved(OrderStatus.PAYMENT_QUEUED))
        self.wait = Wait.QUEUED

    def _begin(self, step: Step) -> None:
        self.step, self.resends, self.wait = step, 0, Wait.REPLY
        self.effects += [StepStarted(step), CommandSent(step)]

    # -- compensation ------------------------------------------------------------------------

    def _compensate(self, outcome: OrderStatus, reason: str, *, unanswered: Step | None) -> None:
        self.state, self.outcome, self.reason = SagaState.COMPENSATING, outcome, reason
        if unanswered is not None:
            self.effects.append(StepFinished(unanswered, Outcome.FAILED, reason))
            if unanswered in UNDO:
                self.done.append(unanswered)  # it may have happened: undo it too
        self._next_undo()

    def _next_undo(self) -> None:
        pending = self._undo_steps()
        if pending:
            self._begin(pending[0])
            return
        self.state = SagaState.COMPENSATED
        assert self.outcome is not None
        self.effects.append(OrderMoved(self.outcome, self.reason))

    def _undo_steps(self) -> list[Step]:
        """Undo steps still to run, in reverse order of the forward steps they undo."""
        return [UNDO[step] for step in reversed(self.done) if step in UNDO and UNDO[step] not in self.undone]

    def _cancel_lost_to_capture(self, reply: Reply) -> bool:
        """A capture already on its way wins over a cancellation: the order stays confirmed."""
        capture_won = (
            reply.step == Step.CAPTURE_PAYMENT
            and reply.outcome == Outcome.SUCCEEDED
            and Step.CONFIRM_ORDER in self.done
            and self.state in (SagaState.COMPENSATING, SagaState.NEEDS_ATTENTION)
        )
        if capture_won:
            self.effects += [
                StepFinished(self.step, Outcome.FAILED, "the payment was captured first"),
                StepFinished(Step.CAPTURE_PAYMENT, Outcome.SUCCEEDED, reply.detail),
            ]
            self.done.append(Step.CAPTURE_PAYMENT)
            self.state, self.outcome, self.reason = SagaState.COMPLETED, None, ""
        return capture_won


def describe(effect: Effect) -> str:
    """One line for the logs, so a reader can follow an order's saga there too."""
    match effect:
        case StepStarted(step):
            return f"{step} started"
        case StepFinished(step, outcome, detail):
            return f"{step} {outcome.lower()}" + (f": {detail}" if detail else "")
        case StepNoted(step, detail):
            return f"{step}: {detail}"
        case CommandSent(step, resend):
            return f"{'re-sent' if resend else 'sent'} the {step} command"
        case OrderMoved(status, reason):
            return f"order is now {status}" + (f" ({reason})" if reason else "")
        case ReplyIgnored(reply, why):
            return f"ignored a {reply.outcome.lower()} answer to {reply.step}: {why}"
