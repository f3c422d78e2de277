"""The Celery task, run eagerly: a failure before the handler is retried, never acked silently."""

import uuid

import pytest

from app.events import tasks
from app.events.envelope import Envelope
from app.events.models import DeadLetter
from app.events.subscriptions import UnknownSubscriberError
from contracts.inventory.events import StockReservedV1
from contracts.kernel.commands import command_id_for

pytestmark = pytest.mark.django_db(databases=["orders"])


def test_a_delivery_that_fails_before_its_handler_is_retried_then_raised(monkeypatch, caplog) -> None:
    monkeypatch.setattr(tasks, "INFRASTRUCTURE_RETRIES", 2)
    wire = Envelope(data=StockReservedV1(order_id=uuid.uuid4(), command_id=uuid.uuid4())).to_wire()

    result = tasks.deliver.apply(args=(wire, "nobody.here"))

    assert isinstance(result.result, UnknownSubscriberError)
    assert sum("failed before its handler" in r.getMessage() for r in caplog.records) == 3  # 1 try + 2 retries


def test_a_handler_failure_is_retried_by_the_task_until_it_is_dead_lettered(settings) -> None:
    order_id = uuid.uuid4()  # no such order: the saga's handler raises
    answer = StockReservedV1(order_id=order_id, command_id=command_id_for(process_id=order_id, step="reserve_stock"))
    wire = Envelope(data=answer).to_wire()

    result = tasks.deliver.apply(args=(wire, "orders.saga_stock_reserved"))

    assert result.result == "dead"
    letter = DeadLetter.objects.using("orders").get()
    assert (letter.attempts, letter.subscriber) == (settings.EVENTS_MAX_ATTEMPTS, "orders.saga_stock_reserved")
