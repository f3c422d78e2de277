"""Pure stock rules: no Django, so they are tested without a database."""

from collections import Counter
from collections.abc import Iterable, Mapping


def merge_quantities(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Two lines for the same sku reserve their sum."""
    totals: Counter[str] = Counter()
    for sku, quantity in lines:
        totals[sku] += quantity
    return dict(totals)


def shortages(*, wanted: Mapping[str, int], available: Mapping[str, int]) -> tuple[str, ...]:
    """The skus (sorted) that cannot be reserved in full; unknown skus count as unavailable."""
    return tuple(sorted(sku for sku, qty in wanted.items() if available.get(sku, 0) < qty))
