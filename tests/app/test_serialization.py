import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.serialization import SerializationError, from_data, to_data
from contracts.orders.events import OrderPlacedLineV1, OrderPlacedV1


@dataclass(frozen=True, kw_only=True)
class Everything:
    when: datetime
    day: date
    maybe: int | None
    names: list[str]


def test_an_event_with_nested_lines_round_trips_through_json_ready_data() -> None:
    event = OrderPlacedV1(
        order_id=uuid.uuid4(),
        customer_email="a@example.com",
        total=Decimal("12.30"),
        lines=(OrderPlacedLineV1(sku="KB", quantity=1, unit_price=Decimal("12.30")),),
    )
    data = to_data(event)
    assert data["total"] == "12.30"
    assert data["lines"] == [{"sku": "KB", "quantity": 1, "unit_price": "12.30"}]
    assert from_data(OrderPlacedV1, data) == event


def test_dates_optionals_and_lists_round_trip() -> None:
    value = Everything(when=datetime(2026, 1, 2, 3, 4, tzinfo=UTC), day=date(2026, 1, 2), maybe=None, names=["a"])
    assert from_data(Everything, to_data(value)) == value


def test_data_of_the_wrong_shape_is_a_serialization_error() -> None:
    with pytest.raises(SerializationError, match="quantity"):
        from_data(OrderPlacedLineV1, {"sku": "KB", "quantity": "many", "unit_price": "1"})


@dataclass(frozen=True, kw_only=True)
class Node:
    name: str
    children: tuple["Node", ...] = ()


def test_a_type_that_refers_to_itself_round_trips() -> None:
    tree = Node(name="root", children=(Node(name="leaf"), Node(name="branch", children=(Node(name="leaf"),))))
    assert from_data(Node, to_data(tree)) == tree


def test_decoders_are_reused_and_still_check_every_value() -> None:
    for _ in range(2):  # the second time through the cached decoder
        assert from_data(list[int | None], [1, None]) == [1, None]
        with pytest.raises(SerializationError, match="expected int"):
            from_data(list[int | None], [1, "2"])
