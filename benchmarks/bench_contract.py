"""An in-process contract call vs calling the facade directly.

The contract call is made the way ``modules/orders/gateways.py`` makes it: resolve the interface
from the registry at call time, then call the bound facade. Both variants run the same SQLite
query on the demo catalogue. A second figure isolates the dispatch (resolve + call) on a trivial
object, i.e. the ratio without any database work.
"""

from typing import Any, Protocol

from benchmarks.environment import Config
from benchmarks.report import Figure
from benchmarks.timing import interleaved, median, scaled, statement
from contracts.inventory.interface import InventoryInterface
from contracts.kernel.registry import Registry, registry
from modules.inventory.facade import InventoryFacade

SKUS = ("KB-001", "MS-002", "MN-003")  # three products of the demo catalogue
TARGET_RATIO = 1.2


def run(config: Config) -> tuple[Figure, ...]:
    return (_database_call(config), _dispatch_only(config))


def _database_call(config: Config) -> Figure:
    bound, facade = registry.resolve(InventoryInterface), InventoryFacade()
    if type(bound) is not InventoryFacade:
        raise RuntimeError(f"InventoryInterface is bound to {type(bound).__name__}, not the facade")
    if bound.get_prices(skus=SKUS) != facade.get_prices(skus=SKUS):
        raise RuntimeError("the two variants disagree")
    namespace = {"registry": registry, "Interface": InventoryInterface, "facade": facade}
    samples = _compare(config, namespace, per_op=1_000, repeat=15)
    contract, direct = median(samples["contract"]), median(samples["direct"])
    return Figure(
        name=f"get_prices({len(SKUS)} skus), SQLite, via registry",
        unit="us/call",
        value=contract * 1e6,
        baseline=direct * 1e6,
        lower_is_better=True,
        target=f"ratio <= {TARGET_RATIO}x",
        met=contract / direct <= TARGET_RATIO,
        details={"overhead_ns": (contract - direct) * 1e9, "samples_us": scaled(samples, 1e6)},
        notes=(f"get_prices: registry minus direct = {(contract - direct) * 1e9:+,.0f} ns per call",),
    )


class _PricesPort(Protocol):
    def get_prices(self, *, skus: tuple[str, ...]) -> tuple[str, ...]: ...


class _Trivial:
    def get_prices(self, *, skus: tuple[str, ...]) -> tuple[str, ...]:
        return skus


def _dispatch_only(config: Config) -> Figure:
    local = Registry()
    local.bind(_PricesPort, _Trivial())
    namespace = {"registry": local, "Interface": _PricesPort, "facade": _Trivial()}
    samples = _compare(config, namespace, per_op=100_000, repeat=21)
    contract, direct = median(samples["contract"]), median(samples["direct"])
    return Figure(
        name="dispatch only: resolve + call a trivial method",
        unit="ns/call",
        value=contract * 1e9,
        baseline=direct * 1e9,
        lower_is_better=True,
        details={"overhead_ns": (contract - direct) * 1e9, "samples_ns": scaled(samples, 1e9)},
        notes=(f"dispatch only: registry minus direct = {(contract - direct) * 1e9:+,.1f} ns per call",),
    )


def _compare(
    config: Config,
    namespace: dict[str, Any],
    *,
    per_op: int,
    repeat: int,
) -> dict[str, list[float]]:
    """Seconds per call, one per repeat: through the registry ("contract") and directly."""
    namespace = {**namespace, "skus": SKUS}
    number = per_op // 10 if config.quick else per_op
    return interleaved(
        {
            "contract": statement("registry.resolve(Interface).get_prices(skus=skus)", namespace),
            "direct": statement("facade.get_prices(skus=skus)", namespace),
        },
        number=number,
        repeat=3 if config.quick else repeat,
        warmup=max(1, number // 10),
    )
