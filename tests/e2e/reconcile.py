"""After any test, at rest: stock and money agree with the orders.

- every product's reserved stock is the sum of the lines of its confirmed orders;
- the provider holds a captured authorization for exactly each confirmed order, for its total,
  and nothing stays authorized (held) for an order that is rejected or cancelled;
- no saga is left running.
"""

from collections import Counter
from decimal import Decimal

from modules.inventory.models import Product
from modules.orders.models import Order, OrderLine, OrderSaga
from scripts.fake_payment_provider import FakePaymentProvider


def assert_reconciled(provider: FakePaymentProvider) -> None:
    assert not OrderSaga.objects.filter(state__in=("RUNNING", "COMPENSATING")).exists(), "a saga is still running"
    assert _reserved_stock() == _confirmed_quantities()
    assert _captured_by_order(provider) == _confirmed_totals()
    assert _still_held(provider) == {}


def _reserved_stock() -> dict[str, int]:
    return {p.sku: p.reserved for p in Product.objects.filter(reserved__gt=0)}


def _confirmed_quantities() -> dict[str, int]:
    totals: Counter[str] = Counter()
    for line in OrderLine.objects.filter(order__status="CONFIRMED"):
        totals[line.sku] += line.quantity
    return dict(totals)


def _confirmed_totals() -> dict[str, Decimal]:
    return {str(o.id): o.total for o in Order.objects.filter(status="CONFIRMED")}


def _captured_by_order(provider: FakePaymentProvider) -> dict[str, Decimal]:
    captured = [a for a in provider.authorizations() if a["status"] == "captured"]
    return {a["reference"]: Decimal(a["amount"]) for a in captured if Order.objects.filter(id=a["reference"]).exists()}


def _still_held(provider: FakePaymentProvider) -> dict[str, str]:
    ours = {str(i) for i in Order.objects.values_list("id", flat=True)}
    return {
        a["reference"]: a["status"]
        for a in provider.authorizations()
        if a["status"] == "authorized" and a["reference"] in ours
    }
