from decimal import Decimal

import pytest

from modules.orders.domain import InvalidTransitionError, OrderStatus, check_transition, order_total


def test_total_is_the_sum_of_quantity_times_price() -> None:
    assert order_total([(2, Decimal("10.00")), (3, Decimal("2.50"))]) == Decimal("27.50")


def test_an_empty_total_is_zero_with_cents() -> None:
    assert str(order_total([])) == "0.00"


@pytest.mark.parametrize("target", [OrderStatus.CONFIRMED, OrderStatus.REJECTED])
def test_a_placed_order_can_be_settled_either_way(target) -> None:
    assert check_transition(OrderStatus.PLACED, target) is True


def test_repeating_a_transition_is_recognised_as_already_done() -> None:
    assert check_transition(OrderStatus.CONFIRMED, OrderStatus.CONFIRMED) is False


def test_a_settled_order_cannot_change_its_mind() -> None:
    with pytest.raises(InvalidTransitionError, match="from CONFIRMED to REJECTED"):
        check_transition(OrderStatus.CONFIRMED, OrderStatus.REJECTED)
