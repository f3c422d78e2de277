from decimal import Decimal

import pytest

from contracts.inventory.dto import ProductPrice
from contracts.inventory.errors import UnknownSkusError
from modules.inventory.facade import InventoryFacade

pytestmark = pytest.mark.django_db(databases=["inventory"])


def test_prices_come_back_in_the_order_asked(keyboard, mouse) -> None:
    prices = InventoryFacade().get_prices(skus=("MS", "KB"))
    assert prices == (
        ProductPrice(sku="MS", name="Mouse", unit_price=Decimal("2.50"), available=1),
        ProductPrice(sku="KB", name="Keyboard", unit_price=Decimal("10.00"), available=5),
    )


def test_unknown_skus_are_named_in_the_error(keyboard) -> None:
    with pytest.raises(UnknownSkusError) as error:
        InventoryFacade().get_prices(skus=("KB", "NOPE", "GONE"))
    assert error.value.skus == ("NOPE", "GONE")
