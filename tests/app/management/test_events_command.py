"""`manage.py events` on the real wiring: a notification that cannot be sent is dead-lettered,
listed, shown, replayed once the mail server is back; purge and range replay keep their promises."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from app.events.models import DeadLetter, InboxEntry, OutboxDelivery, OutboxEvent
from modules.inventory import services as inventory_services
from modules.notifications import services as notification_services
from modules.notifications.models import Notification
from modules.orders import services as order_services

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("events", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def order_with_mail_down(monkeypatch, settings):
    settings.EVENTS_MAX_ATTEMPTS = 1

    def smtp_down(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError("smtp down")

    inventory_services.product_ensure(sku="KB", name="Keyboard", unit_price=Decimal("10.00"), on_hand=5)
    monkeypatch.setattr(notification_services, "send_mail", smtp_down)
    from app.bootstrap import bootstrap

    bootstrap()  # picks up EVENTS_MAX_ATTEMPTS=1
    order_services.order_place(
        customer_email="ann@example.com", lines=(order_services.LineRequest(sku="KB", quantity=1),)
    )
    monkeypatch.undo()
    yield
    bootstrap()


def test_status_shows_every_database_and_its_dead_letters(order_with_mail_down) -> None:
    lines = run("status").splitlines()
    assert lines[0].split() == ["database", "lag", "(s)", "new", "pending", "retrying", "dead"]
    notifications = next(line for line in lines if line.startswith("notifications"))
    assert notifications.split()[-1] == "2"  # order received + order confirmed


def test_dead_letters_can_be_listed_inspected_and_replayed_once_the_cause_is_fixed(order_with_mail_down, mailoutbox):
    listing = run("dead-letters").splitlines()
    assert len(listing) == 2
    assert all("ConnectionRefusedError: smtp down" in line for line in listing)
    first_id = listing[0].split()[0]
    shown = run("show", first_id)
    assert "subscriber: notifications.order_" in shown
    assert "'type': 'orders.Order" in shown
    for line in listing:
        assert "relay sent 1" in run("replay-dead-letter", line.split()[0])
    assert Notification.objects.count() == 2
    assert len(mailoutbox) == 2
    assert run("dead-letters").strip() == "no dead letters"
    with pytest.raises(CommandError, match="already replayed"):
        run("replay-dead-letter", first_id)


def test_a_range_replay_resends_but_nothing_happens_twice(order_with_mail_down, mailoutbox) -> None:
    reserved_before = InboxEntry.objects.using("inventory").get().processed_at
    output = run("replay", "--since", (timezone.now() - timedelta(hours=1)).isoformat())
    # one subscriber each: OrderPlaced, ReserveStock, AuthorizePayment, OrderConfirmed, CapturePayment
    assert "orders: 5 deliveries requeued" in output
    from app.bootstrap import runtime

    runtime().loop.run_pass()
    assert InboxEntry.objects.using("inventory").get().processed_at == reserved_before
    assert OutboxDelivery.objects.using("orders").filter(delivered_at__isnull=True).count() == 0


def test_purge_keeps_recent_and_undelivered_rows_and_dead_letters(order_with_mail_down) -> None:
    OutboxEvent.objects.using("orders").update(time=timezone.now() - timedelta(days=30))
    OutboxDelivery.objects.using("orders").filter(subscriber="notifications.order_received").update(delivered_at=None)
    output = run("purge", "--older-than-days", "7")
    assert "orders: purged 8 outbox rows" in output  # every message but OrderPlacedV1, each with its delivery
    assert OutboxEvent.objects.using("orders").get().type == "orders.OrderPlacedV1"  # still undelivered
    OutboxDelivery.objects.using("orders").update(delivered_at=timezone.now())
    assert "orders: purged 2 outbox rows" in run("purge", "--older-than-days", "7")  # OrderPlacedV1 + its delivery
    assert DeadLetter.objects.using("notifications").count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("show", "nowhere:1"), "dead letter ids look like"),
        (("show", "orders:999"), "no dead letter orders:999"),
        (("replay", "--since", "2026-01-02", "--until", "2026-01-01"), "must be before"),
        (("replay", "--since", "2026-01-01", "--subscriber", "nobody.here"), "no subscriber 'nobody.here'"),
        (("purge", "--older-than-days", "-1"), "must not be negative"),
    ],
)
def test_bad_requests_fail_with_a_one_line_reason(args, message) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_a_dead_lettered_command_is_replayed_from_its_senders_outbox(monkeypatch, settings, mailoutbox) -> None:
    settings.EVENTS_MAX_ATTEMPTS = 1
    from app.bootstrap import bootstrap

    bootstrap()
    inventory_services.product_ensure(sku="KB", name="Keyboard", unit_price=Decimal("10.00"), on_hand=5)

    def inventory_down(**kwargs: object) -> None:
        raise ConnectionError("inventory is down")

    monkeypatch.setattr(inventory_services, "stock_reserve", inventory_down)
    order = order_services.order_place(
        customer_email="ann@example.com", lines=(order_services.LineRequest(sku="KB", quantity=1),)
    )
    monkeypatch.undo()
    [letter] = DeadLetter.objects.using("inventory").all()
    assert (letter.subscriber, letter.envelope["source"]) == ("inventory.reserve_stock", "/modules/orders")

    assert "relay sent 1" in run("replay-dead-letter", f"inventory:{letter.pk}")

    assert OutboxDelivery.objects.using("orders").get(subscriber="inventory.reserve_stock").delivered_at is not None
    assert not OutboxEvent.objects.using("inventory").filter(id=letter.event_id).exists()  # not the owner's outbox
    from modules.orders.models import Order

    assert Order.objects.get(id=order.id).status == "CONFIRMED"
    bootstrap()
