"""Other modules, as orders sees them: only through their contracts, resolved at call time."""

from contracts.inventory.interface import InventoryInterface
from contracts.kernel.registry import registry


def inventory() -> InventoryInterface:
    return registry.resolve(InventoryInterface)
