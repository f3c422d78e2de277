"""Reconciliation of a real deployment at rest, read straight from its PostgreSQL databases and
from the payment provider over HTTP (the rules of tests/e2e/reconcile.py, plus what only a
deployment with crashes and re-sends can get wrong):

- every saga is final (COMPLETED or COMPENSATED) and its order agrees (CONFIRMED, or REJECTED /
  CANCELLED); nothing is PENDING or PAYMENT_QUEUED;
- stock: each product's reserved quantity is the sum of its confirmed orders' lines; a confirmed
  order has one RESERVED reservation with exactly its lines, any other order none;
- money: the provider holds at most one authorization per order (nothing authorized twice); a
  confirmed order's is captured for the order's total, and nothing is captured or still held
  for a rejected or cancelled order; every authorization belongs to an order of ours;
- payments: a confirmed order's payment is CAPTURED for its total with the captured
  authorization's id; any other order's payment is absent, DECLINED or VOIDED; none still owes
  the provider a call;
- notifications: each order's emails exactly once: received, confirmed if it ever was, and
  rejected or cancelled if it ended so;
- events: every outbox expanded and delivered, every inbox entry processed, no dead letter.

``rows(module, sql, params)`` runs a query on a module's database (``Shop.rows``, ``Stack.rows``).
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tests.integration.provider import PaymentProvider

Rows = Callable[..., list[tuple[Any, ...]]]
MODULES = ("inventory", "notifications", "orders", "payments")
FINAL_SAGA = {"COMPLETED": {"CONFIRMED"}, "COMPENSATED": {"REJECTED", "CANCELLED"}}
ENDED_BADLY = {"REJECTED": "OrderRejectedV1", "CANCELLED": "OrderCancelledV1"}


@dataclass(frozen=True)
class Reconciled:
    """What was reconciled, for the test's report."""

    orders: Counter[str]  # status -> count
    captured: Decimal  # the provider's captured total (== the confirmed orders' total)
    authorizations: Counter[str]  # provider status -> count

    def __str__(self) -> str:
        return f"orders {dict(self.orders)}, captured {self.captured}, provider {dict(self.authorizations)}"


@dataclass(frozen=True)
class OrderFacts:
    status: dict[str, str]  # order id -> status
    total: dict[str, Decimal]
    lines: dict[str, Counter[str]]  # order id -> sku -> quantity
    saga: dict[str, str]  # order id -> saga state
    was_confirmed: set[str]  # orders whose confirm_order step succeeded (even if cancelled later)


def assert_reconciled(rows: Rows, provider: PaymentProvider, *, details: Callable[[], str] = str) -> Reconciled:
    facts = order_facts(rows)
    problems = [
        *_saga_problems(facts),
        *_stock_problems(rows, facts),
        *_money_problems(rows, provider, facts),
        *_notification_problems(rows, facts),
        *_event_problems(rows),
    ]
    assert not problems, "not reconciled:\n  " + "\n  ".join(problems[:40]) + f"\n{details()}"
    captured = sum((Decimal(a["amount"]) for a in provider.authorizations() if a["status"] == "captured"), Decimal(0))
    return Reconciled(
        orders=Counter(facts.status.values()),
        captured=captured,
        authorizations=Counter(a["status"] for a in provider.authorizations()),
    )


# What keeps a deployment from being at rest: (module, what, a count of things still to happen).
EVENT_BACKLOG = {
    "outbox events not expanded": "SELECT count(*) FROM events_outboxevent WHERE expanded_at IS NULL",
    "deliveries not delivered": "SELECT count(*) FROM events_outboxdelivery WHERE delivered_at IS NULL",
    "inbox entries not processed": "SELECT count(*) FROM events_inboxentry WHERE processed_at IS NULL",
}
RESTLESS = (
    ("orders", "orders not final", "SELECT count(*) FROM orders_order WHERE status IN ('PENDING', 'PAYMENT_QUEUED')"),
    ("orders", "sagas running", "SELECT count(*) FROM orders_ordersaga WHERE state IN ('RUNNING', 'COMPENSATING')"),
    ("payments", "payments owing a call", "SELECT count(*) FROM payments_payment WHERE operation <> ''"),
    *((module, what, sql) for module in MODULES for what, sql in EVENT_BACKLOG.items()),
)


def restless(rows: Rows) -> dict[str, int]:
    """What is still under way, as "module: what" -> count (empty at rest)."""
    counts = {f"{module}: {what}": int(rows(module, sql)[0][0]) for module, what, sql in RESTLESS}
    return {what: count for what, count in counts.items() if count}


def order_facts(rows: Rows) -> OrderFacts:
    orders = rows("orders", "SELECT id::text, status, total FROM orders_order")
    lines: dict[str, Counter[str]] = defaultdict(Counter)
    for order, sku, quantity in rows("orders", "SELECT order_id::text, sku, quantity FROM orders_orderline"):
        lines[order][sku] += quantity
    confirmed_step = "SELECT saga_id::text FROM orders_sagastep WHERE name = 'confirm_order' AND status = 'SUCCEEDED'"
    return OrderFacts(
        status={order: status for order, status, _ in orders},
        total={order: total for order, _, total in orders},
        lines=dict(lines),
        saga=dict(rows("orders", "SELECT order_id::text, state FROM orders_ordersaga")),
        was_confirmed={order for (order,) in rows("orders", confirmed_step)},
    )


def _saga_problems(facts: OrderFacts) -> Iterable[str]:
    for order, status in facts.status.items():
        state = facts.saga.get(order)
        if status not in FINAL_SAGA.get(state or "", set()):
            yield f"order {order} is {status} with its saga {state}"


def _stock_problems(rows: Rows, facts: OrderFacts) -> Iterable[str]:
    confirmed: Counter[str] = Counter()
    for order in _with_status(facts, "CONFIRMED"):
        confirmed.update(facts.lines.get(order, Counter()))
    reserved: dict[str, int] = dict(rows("inventory", "SELECT sku, reserved FROM inventory_product WHERE reserved > 0"))
    if reserved != dict(+confirmed):
        yield f"stock reserved {reserved} != confirmed quantities {dict(+confirmed)}"
    held: dict[str, Counter[str]] = defaultdict(Counter)
    sql = (
        "SELECT r.order_id::text, l.sku, l.quantity FROM inventory_reservation r "
        "LEFT JOIN inventory_reservationline l ON l.reservation_id = r.id WHERE r.status = 'RESERVED'"
    )
    for order, sku, quantity in rows("inventory", sql):
        held[order][sku] += quantity or 0
    for order, status in facts.status.items():
        if (order in held) != (status == "CONFIRMED"):
            yield f"order {order} is {status} but {'has' if order in held else 'has no'} stock reserved"
        elif order in held and held[order] != facts.lines.get(order):
            yield f"order {order} reserved {dict(held[order])} for lines {dict(facts.lines.get(order, {}))}"
    for order in set(held) - set(facts.status):
        yield f"stock reserved for {order}, which is no order"


def _money_problems(rows: Rows, provider: PaymentProvider, facts: OrderFacts) -> Iterable[str]:
    provider.healthy_again()  # reconciliation reads the truth; it does not test the provider's moods
    by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for authorization in provider.authorizations():
        by_order[authorization["reference"]].append(authorization)
    for order in set(by_order) - set(facts.status):
        yield f"the provider holds {by_order[order]} for {order}, which is no order"
    payments = {
        order: (status, amount, reference, operation)
        for order, status, amount, reference, operation in rows(
            "payments", "SELECT order_id::text, status, amount, provider_reference, operation FROM payments_payment"
        )
    }
    for order in set(payments) - set(facts.status):
        yield f"a payment {payments[order]} for {order}, which is no order"
    for order, status in facts.status.items():
        yield from _order_money_problems(order, status, facts.total[order], by_order[order], payments.get(order))


def _order_money_problems(
    order: str, status: str, total: Decimal, authorizations: list[dict[str, Any]], payment: tuple[Any, ...] | None
) -> Iterable[str]:
    states = [a["status"] for a in authorizations]
    if len(authorizations) > 1:
        yield f"order {order} was authorized {len(authorizations)} times: {states}"
    if payment is not None and payment[3]:
        yield f"order {order}'s payment {payment[0]} still owes the provider a {payment[3]!r} call"
    if status == "CONFIRMED":
        captured = [a for a in authorizations if a["status"] == "captured"]
        if len(captured) != 1 or Decimal(captured[0]["amount"]) != total:
            yield f"confirmed order {order} ({total}): provider has {authorizations}"
        elif payment is None or (payment[0], payment[1], payment[2]) != ("CAPTURED", total, captured[0]["id"]):
            yield f"confirmed order {order} ({total}, {captured[0]['id']}): payment {payment}"
    else:
        if {"captured", "authorized"} & set(states):
            yield f"{status.lower()} order {order}: the provider still has {states}"
        if payment is not None and payment[0] not in ("DECLINED", "VOIDED"):
            yield f"{status.lower()} order {order}: payment {payment[0]}"


def _notification_problems(rows: Rows, facts: OrderFacts) -> Iterable[str]:
    expected = {f"orders.OrderPlacedV1:{order}" for order in facts.status}
    expected |= {f"orders.OrderConfirmedV1:{order}" for order in facts.was_confirmed}
    expected |= {f"orders.{ENDED_BADLY[s]}:{o}" for o, s in facts.status.items() if s in ENDED_BADLY}
    sent = Counter(
        reference for (reference,) in rows("notifications", "SELECT reference FROM notifications_notification")
    )
    twice = {reference: n for reference, n in sent.items() if n > 1}
    if twice:
        yield f"notifications sent more than once: {twice}"
    if set(sent) != expected:
        yield f"notifications missing {sorted(expected - set(sent))[:5]}, unexpected {sorted(set(sent) - expected)[:5]}"


def _event_problems(rows: Rows) -> Iterable[str]:
    queries = {**EVENT_BACKLOG, "dead letters": "SELECT count(*) FROM events_deadletter WHERE replayed_at IS NULL"}
    for module in MODULES:
        for what, sql in queries.items():
            count = int(rows(module, sql)[0][0])
            if count:
                yield f"{module}: {count} {what}"
        unprocessed = (
            "SELECT subscriber, event_type, attempts, last_error FROM events_inboxentry WHERE processed_at IS NULL"
        )
        for entry in rows(module, f"{unprocessed} LIMIT 3"):
            yield f"{module}: not processed: {entry}"


def _with_status(facts: OrderFacts, status: str) -> list[str]:
    return [order for order, s in facts.status.items() if s == status]
