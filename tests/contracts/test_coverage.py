"""Every module's contract is covered by the conformance suite; a new module must add its cases."""

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from app.modules import ModuleSpec, discover_modules
from contracts.inventory.errors import UnknownSkusError
from contracts.notifications.errors import InvalidRecipientError
from tests.contracts.conformance import Case, comparable, coverage_problems, load_cases


def test_every_contract_method_has_conformance_cases() -> None:
    assert coverage_problems(discover_modules(), load_cases()) == []


def test_a_module_without_a_cases_file_is_reported() -> None:
    modules = (*discover_modules(), ModuleSpec("loyalty"))
    assert coverage_problems(modules, load_cases()) == ["loyalty: no tests/contracts/cases_loyalty.py defining CASES"]


def test_an_uncalled_method_a_misspelt_method_and_a_stale_file_are_reported() -> None:
    cases = load_cases()
    cases["inventory"] = (Case(name="typo", method="get_price", expect=()),)
    cases["no_such_module"] = ()
    assert coverage_problems(discover_modules(), cases) == [
        "inventory: no case calls get_prices()",
        "inventory: cases call get_price(), which the contract lacks",
        "cases_no_such_module.py: no module 'no_such_module'",
    ]


@dataclass(frozen=True)
class Price:
    amount: Decimal | float
    ids: tuple[UUID, ...] | list[UUID]


def test_comparable_tells_apart_what_plain_equality_confuses() -> None:
    price = Price(amount=Decimal("2.50"), ids=())
    assert price == dataclasses.replace(price, amount=2.5)
    assert comparable(price) != comparable(dataclasses.replace(price, amount=2.5))
    assert comparable(price) != comparable(dataclasses.replace(price, amount=Decimal("2.5")))
    assert comparable(price) != comparable(dataclasses.replace(price, ids=[]))
    assert comparable(price) == comparable(Price(amount=Decimal("2.50"), ids=()))


def test_comparable_compares_errors_by_type_and_fields() -> None:
    assert comparable(UnknownSkusError(("A",))) == comparable(UnknownSkusError(("A",)))
    assert comparable(UnknownSkusError(("A",))) != comparable(UnknownSkusError(("B",)))
    assert comparable(UnknownSkusError(("A",))) != comparable(UnknownSkusError(["A"]))  # type: ignore[arg-type]
    assert comparable(InvalidRecipientError("x")) != comparable(UnknownSkusError(("x",)))
