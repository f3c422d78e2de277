"""Reading a contract Protocol: what the generic client and router are derived from."""

from decimal import Decimal
from typing import Protocol
from uuid import UUID

from app.modules import discover_modules
from app.remote.contract import Method, contract_methods
from contracts.inventory.dto import ProductPrice
from contracts.inventory.interface import InventoryInterface
from contracts.kernel.markers import idempotent


class PaymentsInterface(Protocol):
    def charge(self, *, order_id: UUID, amount: Decimal | None) -> str: ...

    @idempotent
    def status(self, *, payment_id: str) -> str: ...

    def _helper(self) -> None: ...


def test_a_method_is_its_keyword_parameters_their_types_its_return_type_and_its_idempotence() -> None:
    assert contract_methods(InventoryInterface) == {
        "get_prices": Method(
            name="get_prices",
            parameters={"skus": tuple[str, ...]},
            returns=tuple[ProductPrice, ...],
            idempotent=True,
        )
    }


def test_methods_are_idempotent_only_when_marked_and_private_ones_are_not_part_of_the_contract() -> None:
    methods = contract_methods(PaymentsInterface)
    assert sorted(methods) == ["charge", "status"]
    assert methods["charge"].parameters == {"order_id": UUID, "amount": Decimal | None}
    assert (methods["charge"].idempotent, methods["status"].idempotent) == (False, True)


def test_every_module_contract_can_be_read() -> None:
    for spec in discover_modules():
        methods = contract_methods(spec.interface())
        assert methods, f"{spec.name}: its contract has no methods"
        assert all(method.returns is not None for method in methods.values()), spec.name
