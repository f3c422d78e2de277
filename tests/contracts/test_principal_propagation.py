"""The caller's principal reaches the provider through both bindings, and an event handler run
by a Celery task runs as the event's actor."""

import uuid
from decimal import Decimal

import pytest

from app.events import tasks
from app.events.envelope import Envelope
from app.identity.propagation import ActorPropagator
from contracts.inventory.events import StockReservedV1
from contracts.kernel.commands import command_id_for
from contracts.kernel.identity import Principal, acting_as, current_principal
from contracts.orders.errors import OrderNotFoundError
from modules.inventory import services as inventory_services
from modules.orders import services as order_services
from tests.contracts.conftest import BINDINGS

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)

ANN = Principal(subject="ann", roles=("customer",), email="ann@example.com")
EVE = Principal(subject="eve", roles=("customer",), email="eve@example.com")
STAFF = Principal(subject="ops", roles=("staff",), email="ops@example.com")


@pytest.fixture
def anns_order_id() -> uuid.UUID:
    inventory_services.product_ensure(sku="KB", name="Keyboard", unit_price=Decimal("10.00"), on_hand=5)
    line = order_services.LineRequest(sku="KB", quantity=1)
    return order_services.order_place(customer_email="ann@example.com", lines=(line,), customer_id="ann").id


@pytest.mark.parametrize("binding", BINDINGS)
def test_the_provider_sees_the_caller_through_either_binding(bound, binding, anns_order_id) -> None:
    orders = bound("orders", binding)
    with acting_as(ANN):
        assert orders.get_order(order_id=anns_order_id).id == anns_order_id
    with acting_as(STAFF):
        assert orders.get_order(order_id=anns_order_id).id == anns_order_id
    with acting_as(EVE), pytest.raises(OrderNotFoundError):
        orders.get_order(order_id=anns_order_id)


def test_a_celery_task_runs_the_handler_as_the_events_actor(monkeypatch, anns_order_id) -> None:
    seen: list[Principal | None] = []
    original = order_services.saga_handle_reply

    def spy(**kwargs: object) -> None:
        seen.append(current_principal())
        original(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(order_services, "saga_handle_reply", spy)
    with acting_as(ANN):
        headers = ActorPropagator().capture()
    answer = StockReservedV1(order_id=anns_order_id, command_id=command_id_for(process_id=anns_order_id, step="x"))
    wire = Envelope(data=answer, headers=headers).to_wire()

    assert tasks.deliver.apply(args=(wire, "orders.saga_stock_reserved")).result == "done"
    assert seen == [ANN]
    assert current_principal() is None
