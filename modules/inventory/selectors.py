from collections.abc import Iterable

from django.db.models import QuerySet

from contracts.inventory.errors import UnknownSkusError
from modules.inventory.models import Product


def product_list() -> QuerySet[Product]:
    return Product.objects.all()


def product_get_many(*, skus: Iterable[str]) -> list[Product]:
    """The products for ``skus``, in the order asked. Raises ``UnknownSkusError`` for any miss."""
    wanted = list(dict.fromkeys(skus))
    found = {p.sku: p for p in Product.objects.filter(sku__in=wanted)}
    missing = tuple(sku for sku in wanted if sku not in found)
    if missing:
        raise UnknownSkusError(missing)
    return [found[sku] for sku in wanted]
