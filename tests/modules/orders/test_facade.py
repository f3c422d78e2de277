import uuid
from decimal import Decimal

import pytest

from contracts.orders.dto import OrderLine
from contracts.orders.errors import OrderNotFoundError
from modules.orders import services
from modules.orders.facade import OrdersFacade

pytestmark = pytest.mark.django_db(databases=["orders"])


def test_an_order_comes_back_as_a_summary_with_its_lines(inventory, published, sent) -> None:
    order = services.order_place(customer_email="a@example.com", lines=(services.LineRequest(sku="KB", quantity=3),))
    summary = OrdersFacade().get_order(order_id=order.id)
    assert (summary.id, summary.status, summary.total) == (order.id, "PENDING", Decimal("30.00"))
    assert summary.lines == (OrderLine(sku="KB", quantity=3, unit_price=Decimal("10.00")),)


def test_a_missing_order_raises_the_contracts_error() -> None:
    missing = uuid.uuid4()
    with pytest.raises(OrderNotFoundError) as error:
        OrdersFacade().get_order(order_id=missing)
    assert error.value.order_id == missing
