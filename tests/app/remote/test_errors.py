"""Domain errors cross the wire as the same typed errors; nothing else is ever imported."""

import inspect
import json
import uuid
from decimal import Decimal
from importlib import import_module
from typing import Any, get_type_hints

import pytest

from app.modules import discover_modules
from app.remote.errors import error_from_wire, error_to_wire
from contracts.inventory.errors import UnknownSkusError
from contracts.kernel.errors import DomainError
from contracts.orders.errors import OrderNotFoundError

SAMPLES: dict[Any, Any] = {
    str: "sample",
    int: 7,
    Decimal: Decimal("1.50"),
    uuid.UUID: uuid.UUID("00000000-0000-4000-8000-000000000007"),
    tuple[str, ...]: ("A", "B"),
}


def contract_errors() -> list[type[DomainError]]:
    found = []
    for spec in discover_modules():
        errors = import_module(f"{spec.contract_package}.errors")
        found += [
            cls
            for _, cls in inspect.getmembers(errors, inspect.isclass)
            if issubclass(cls, DomainError) and cls.__module__ == errors.__name__
        ]
    return found


def sample(cls: type[DomainError]) -> DomainError:
    hints = get_type_hints(cls.__init__)
    parameters = list(inspect.signature(cls.__init__).parameters)[1:]
    missing = [name for name in parameters if hints.get(name) not in SAMPLES]
    assert not missing, f"{cls.__name__}: add a sample value for the type of {missing} to SAMPLES"
    return cls(**{name: SAMPLES[hints[name]] for name in parameters})


def same(error: BaseException) -> tuple[Any, ...]:
    return type(error), str(error), vars(error), getattr(error, "code", None)


def through_the_wire(error: DomainError) -> DomainError:
    return error_from_wire(json.loads(json.dumps(error_to_wire(error))))


@pytest.mark.parametrize("cls", contract_errors(), ids=lambda cls: cls.__qualname__)
def test_every_contract_error_comes_back_as_itself(cls: type[DomainError]) -> None:
    error = sample(cls)
    assert same(through_the_wire(error)) == same(error)


def test_the_wire_names_the_class_its_code_message_and_constructor_values() -> None:
    order_id = uuid.UUID("00000000-0000-4000-8000-000000000001")
    assert error_to_wire(OrderNotFoundError(order_id)) == {
        "type": "contracts.orders.errors.OrderNotFoundError",
        "code": "order_not_found",
        "message": f"order {order_id} not found",
        "fields": {"order_id": str(order_id)},
    }
    restored = through_the_wire(UnknownSkusError(("ZZ", "YY")))
    assert isinstance(restored, UnknownSkusError)
    assert restored.skus == ("ZZ", "YY")


@pytest.mark.parametrize(
    "dotted",
    [
        "contracts.payments.errors.CardDeclinedError",  # a provider newer than its caller
        "contracts.inventory.errors.NoSuchError",
        "contracts.kernel.errors.ServiceUnavailableError",  # not a DomainError
        "os.system",  # never imported: only contract errors cross the wire
        "app.remote.server.ServiceToken",
        "",
    ],
)
def test_an_error_unknown_here_is_a_plain_domain_error_with_its_code_and_message(dotted: str) -> None:
    restored = error_from_wire({"type": dotted, "code": "card_declined", "message": "declined", "fields": {}})
    assert type(restored) is DomainError
    assert (restored.code, restored.message) == ("card_declined", "declined")
