"""The contract conformance suite's model: scenario cases per module, found by file name.

Each module ``<m>`` has one file ``tests/contracts/cases_<m>.py`` defining ``CASES``, a tuple of
``Case``. Every case runs against every binding of the module's contract (its facade in-process,
and the generic remote client over real HTTP) and must give the same, exactly typed, answer:

    from tests.contracts.conformance import Case

    def two_products() -> None:              # arranged through the module's own services
        services.product_ensure(sku="KB", name="Keyboard", unit_price=Decimal("10.00"), on_hand=5)

    CASES = (
        Case(
            name="known skus, in the order asked",
            method="get_prices",
            given=two_products,                 # optional; what it returns is passed on as `given`
            arguments={"skus": ("KB",)},        # or a function of `given`
            expect=(ProductPrice(...),),        # or a function of `given`; a DomainError instance
        ),                                      # means "raises exactly this error"
    )

A module without a cases file, or a contract method that no case calls, fails
``test_every_contract_method_has_conformance_cases``.
"""

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from importlib import import_module
from pathlib import Path
from typing import Any

from app.modules import ModuleSpec
from app.remote.contract import contract_methods
from contracts.kernel.errors import DomainError

HERE = Path(__file__).resolve().parent
PREFIX = "cases_"


def _nothing() -> None:
    return None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Case:
    name: str  # shown in the test id
    method: str  # the contract method called
    expect: Any  # the result or the DomainError raised, or a function of `given` returning either
    arguments: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    given: Callable[[], Any] = _nothing  # arranges data through services; its return value is `given`

    def run(self, contract: object, given: Any) -> Any:
        """The method's result, or the domain error it raised (anything else propagates)."""
        arguments = self.arguments(given) if callable(self.arguments) else self.arguments
        try:
            return getattr(contract, self.method)(**arguments)
        except DomainError as error:
            return error

    def expected(self, given: Any) -> Any:
        return self.expect(given) if callable(self.expect) else self.expect


def load_cases() -> dict[str, tuple[Case, ...]]:
    """Module name -> its cases, from every ``cases_<module>.py`` next to this file."""
    return {
        path.stem.removeprefix(PREFIX): tuple(import_module(f"tests.contracts.{path.stem}").CASES)
        for path in sorted(HERE.glob(f"{PREFIX}*.py"))
    }


def coverage_problems(modules: Iterable[ModuleSpec], cases: Mapping[str, tuple[Case, ...]]) -> list[str]:
    """What keeps the suite from covering every contract: missing files, uncalled methods, typos."""
    problems = []
    names = set()
    for spec in modules:
        names.add(spec.name)
        if spec.name not in cases:
            problems.append(f"{spec.name}: no tests/contracts/{PREFIX}{spec.name}.py defining CASES")
            continue
        methods = set(contract_methods(spec.interface()))
        called = {case.method for case in cases[spec.name]}
        problems += [f"{spec.name}: no case calls {m}()" for m in sorted(methods - called)]
        problems += [f"{spec.name}: cases call {m}(), which the contract lacks" for m in sorted(called - methods)]
    problems += [f"{PREFIX}{m}.py: no module {m!r}" for m in sorted(set(cases) - names)]
    return problems


def comparable(value: Any) -> Any:
    """``value`` with every type made explicit, so equal means "same value, same types": a
    Decimal is not a float, "10.00" is not "10.0", a tuple is not a list, an aware datetime
    keeps its offset, and an error compares by class, message and attributes."""
    if isinstance(value, BaseException):
        return ("raises", type(value), str(value), comparable(value.args), comparable(vars(value)))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value), tuple((f.name, comparable(getattr(value, f.name))) for f in dataclasses.fields(value)))
    if isinstance(value, tuple | list):
        return (type(value), tuple(comparable(item) for item in value))
    if isinstance(value, dict):
        return (dict, tuple(sorted((key, comparable(item)) for key, item in value.items())))
    if isinstance(value, Decimal | date):  # datetime is a date; isoformat keeps microseconds and offset
        return (type(value), str(value) if isinstance(value, Decimal) else value.isoformat())
    return (type(value), value)
