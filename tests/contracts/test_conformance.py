"""One suite for every contract, run against both bindings: same results, same errors.

Each case (tests/contracts/cases_<module>.py) arranges its data through the modules' services,
calls one contract method, and compares the outcome with the expected one, types included
(``comparable``). Both bindings meeting the same exact expectation is what "extraction changes
nothing a caller can see" means.
"""

from collections.abc import Callable

import pytest

from tests.contracts.conformance import Case, comparable, load_cases
from tests.contracts.conftest import BINDINGS

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)

CASES = [
    pytest.param(module, case, id=f"{module}.{case.method}: {case.name}")
    for module, cases in load_cases().items()
    for case in cases
]


@pytest.mark.parametrize("binding", BINDINGS)
@pytest.mark.parametrize(("module", "case"), CASES)
def test_the_contract_behaves_the_same_through_every_binding(
    module: str, case: Case, binding: str, bound: Callable[[str, str], object]
) -> None:
    contract = bound(module, binding)
    given = case.given()
    assert comparable(case.run(contract, given)) == comparable(case.expected(given))
