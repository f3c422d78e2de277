"""The order saga's transitions, one transaction each on the orders database: load the saga
under a row lock, let ``domain.saga`` decide, then apply its effects (steps recorded, commands
sent, the order moved and announced) and the next deadline, all committed together."""

import logging
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from contracts.kernel.commands import command_id_for, send
from contracts.kernel.events import publish
from contracts.orders.errors import OrderNotCancellableError, OrderNotFoundError, SagaNotStuckError
from modules.orders.domain import saga as rules
from modules.orders.domain.order import OrderStatus
from modules.orders.domain.saga import ACTIVE, Reply, Saga, SagaState, Step, Wait
from modules.orders.models import Order, OrderSaga, SagaStep
from modules.orders.services.outgoing import command_for, event_for

DB = "orders"
logger = logging.getLogger(__name__)


def saga_start(*, order: Order) -> None:
    """Called inside the transaction that creates ``order``."""
    record = OrderSaga.objects.create(order=order, state=SagaState.RUNNING, step=Step.RESERVE_STOCK)
    _apply(record, Saga.start(), fresh=True)


def saga_handle_reply(*, order_id: UUID, command_id: UUID, reply: Reply) -> None:
    """A participant answered one of the saga's commands."""
    if command_id != command_id_for(process_id=order_id, step=reply.step.value):
        logger.warning("order %s saga: ignored a reply to command %s, not one of its own", order_id, command_id)
        return
    with transaction.atomic(using=DB):
        record = _locked(order_id)
        saga = _loaded(record)
        saga.handle(reply)
        _apply(record, saga)


def saga_cancel(*, order_id: UUID, reason: str) -> None:
    with transaction.atomic(using=DB):
        record = _locked(order_id)
        saga = _loaded(record)
        try:
            saga.cancel(reason=reason)
        except rules.NotCancellableError as error:
            raise OrderNotCancellableError(order_id, str(error)) from None
        _apply(record, saga)


def saga_retry(*, order_id: UUID) -> None:
    """An operator asks a stuck step again."""
    with transaction.atomic(using=DB):
        record = _locked(order_id)
        saga = _loaded(record)
        try:
            saga.retry()
        except rules.NotStuckError as error:
            raise SagaNotStuckError(order_id, str(error)) from None
        _apply(record, saga)


def saga_sweep_deadlines(*, now: datetime | None = None, limit: int = 100) -> int:
    """Every saga whose step went unanswered past its deadline: asked again, compensated, or
    flagged for an operator. Safe in several processes at once (locked rows are skipped)."""
    now = now or timezone.now()
    due = OrderSaga.objects.filter(state__in=ACTIVE, deadline_at__lte=now).order_by("deadline_at")
    return sum(_deadline_pass(order_id, now) for order_id in list(due.values_list("order_id", flat=True)[:limit]))


def _deadline_pass(order_id: UUID, now: datetime) -> int:
    with transaction.atomic(using=DB):
        record = (
            OrderSaga.objects.select_for_update(skip_locked=True)
            .select_related("order")
            .filter(order_id=order_id, state__in=ACTIVE, deadline_at__lte=now)
            .first()
        )
        if record is None:  # answered meanwhile, or another process has it
            return 0
        saga = _loaded(record)
        saga.deadline_passed(max_resends=settings.SAGA_MAX_RESENDS)
        _apply(record, saga)
        return 1


def _locked(order_id: UUID) -> OrderSaga:
    try:
        return OrderSaga.objects.select_for_update().select_related("order").get(order_id=order_id)
    except OrderSaga.DoesNotExist:
        raise OrderNotFoundError(order_id) from None


def _loaded(record: OrderSaga) -> Saga:
    return Saga(
        state=SagaState(record.state),
        step=Step(record.step),
        done=[Step(step) for step in record.done],
        undone=[Step(step) for step in record.undone],
        outcome=OrderStatus(record.outcome) if record.outcome else None,
        reason=record.reason,
        resends=record.resends,
        wait=Wait(record.wait),
    )


def _apply(record: OrderSaga, saga: Saga, *, fresh: bool = False) -> None:
    steps = _StepLog(record, fresh=fresh)
    changed = False
    for effect in saga.effects:
        _log(record.order, effect)
        changed |= _apply_effect(record, steps, effect)
    if not changed:
        return
    steps.save()
    record.state, record.step, record.reason = saga.state, saga.step, saga.reason
    record.done, record.undone = [s.value for s in saga.done], [s.value for s in saga.undone]
    record.outcome = saga.outcome.value if saga.outcome else ""
    record.resends, record.wait = saga.resends, saga.wait
    record.deadline_at = _deadline(saga)
    record.save()


def _apply_effect(record: OrderSaga, steps: "_StepLog", effect: rules.Effect) -> bool:
    """Returns False for an effect that changes nothing (an ignored reply)."""
    match effect:
        case rules.StepStarted(step):
            steps.start(step)
        case rules.StepFinished(step, outcome, detail):
            steps.update(step, status=outcome.value, detail=detail, finished_at=timezone.now())
        case rules.StepNoted(step, detail):
            steps.update(step, detail=detail)
        case rules.CommandSent(step, resend):
            send(command_for(step, record.order), sender=DB)
            if resend:
                steps.update(step, attempts=steps.latest(step).attempts + 1)
        case rules.OrderMoved(status, reason):
            _order_move(record.order, status=status, reason=reason)
        case rules.ReplyIgnored():
            return False
    return True


class _StepLog:
    """The saga's step records as one transition sees them: read at most once, each written once."""

    FIELDS = ("status", "detail", "attempts", "finished_at")

    def __init__(self, record: OrderSaga, *, fresh: bool) -> None:
        self._record = record
        self._loaded = fresh  # a saga created in this transaction has no steps yet
        self._latest: dict[str, SagaStep] = {}
        self._new: list[SagaStep] = []
        self._changed: dict[int, SagaStep] = {}

    def start(self, step: Step) -> SagaStep:
        self._load()
        self._latest[step] = SagaStep(saga=self._record, name=step, started_at=timezone.now())
        self._new.append(self._latest[step])
        return self._latest[step]

    def latest(self, step: Step) -> SagaStep:
        self._load()
        return self._latest.get(step) or self.start(step)

    def update(self, step: Step, **fields: object) -> None:
        latest = self.latest(step)
        for name, value in fields.items():
            setattr(latest, name, value)
        if latest.pk is not None:
            self._changed[latest.pk] = latest

    def save(self) -> None:
        SagaStep.objects.bulk_create(self._new)
        for step in self._changed.values():
            step.save(update_fields=self.FIELDS)

    def _load(self) -> None:
        if not self._loaded:
            self._latest = {s.name: s for s in SagaStep.objects.filter(saga=self._record).order_by("started_at", "id")}
            self._loaded = True


def _order_move(order: Order, *, status: OrderStatus, reason: str) -> None:
    if order.status == status:
        return
    order.status, order.status_reason = status, reason
    order.save(update_fields=["status", "status_reason", "updated_at"])
    announcement = event_for(order)
    if announcement is not None:
        publish(announcement)


def _deadline(saga: Saga) -> datetime | None:
    if saga.state not in ACTIVE:
        return None
    seconds = settings.SAGA_QUEUED_TIMEOUT if saga.wait == Wait.QUEUED else settings.SAGA_STEP_TIMEOUT
    return timezone.now() + timedelta(seconds=seconds)


def _log(order: Order, effect: rules.Effect) -> None:
    logger.info("order %s saga: %s", order.id, rules.describe(effect))
