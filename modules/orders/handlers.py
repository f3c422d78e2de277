"""Orders hears the saga's participants answer: each answer becomes a ``Reply`` to the saga."""

from collections.abc import Callable
from typing import Any

from contracts.inventory.events import StockReleasedV1, StockReservationFailedV1, StockReservedV1
from contracts.kernel.events import Event
from contracts.kernel.subscriptions import Subscription
from contracts.payments.events import (
    PaymentAuthorizedV1,
    PaymentCapturedV1,
    PaymentDeclinedV1,
    PaymentQueuedV1,
    PaymentVoidedV1,
)
from modules.orders import services
from modules.orders.domain.saga import Outcome, Reply, Step

# answer -> (subscriber id, the step it answers, how it went, how to explain it)
ANSWERS: dict[type[Event], tuple[str, Step, Outcome, Callable[[Any], str]]] = {
    StockReservedV1: ("orders.saga_stock_reserved", Step.RESERVE_STOCK, Outcome.SUCCEEDED, lambda a: ""),
    StockReservationFailedV1: ("orders.saga_stock_refused", Step.RESERVE_STOCK, Outcome.FAILED, lambda a: a.reason),
    StockReleasedV1: ("orders.saga_stock_released", Step.RELEASE_STOCK, Outcome.SUCCEEDED, lambda a: ""),
    PaymentAuthorizedV1: (
        "orders.saga_payment_authorized",
        Step.AUTHORIZE_PAYMENT,
        Outcome.SUCCEEDED,
        lambda a: f"authorization {a.provider_reference}",
    ),
    PaymentDeclinedV1: (
        "orders.saga_payment_declined",
        Step.AUTHORIZE_PAYMENT,
        Outcome.FAILED,
        lambda a: f"payment declined: {a.reason}",
    ),
    PaymentQueuedV1: ("orders.saga_payment_queued", Step.AUTHORIZE_PAYMENT, Outcome.QUEUED, lambda a: a.reason),
    PaymentCapturedV1: ("orders.saga_payment_captured", Step.CAPTURE_PAYMENT, Outcome.SUCCEEDED, lambda a: ""),
    PaymentVoidedV1: ("orders.saga_payment_voided", Step.VOID_PAYMENT, Outcome.SUCCEEDED, lambda a: ""),
}


def on_answer(answer: Any) -> None:
    _, step, outcome, explain = ANSWERS[type(answer)]
    detail = explain(answer)
    services.saga_handle_reply(
        order_id=answer.order_id, command_id=answer.command_id, reply=Reply(step=step, outcome=outcome, detail=detail)
    )


SUBSCRIPTIONS = tuple(
    Subscription(id=subscriber_id, event_type=answer, handler=on_answer)
    for answer, (subscriber_id, *_) in ANSWERS.items()
)
