"""Conformance cases for contracts.notifications (see tests/contracts/conformance.py)."""

from datetime import UTC, datetime

from contracts.notifications.dto import SentNotification
from contracts.notifications.errors import InvalidRecipientError
from modules.notifications import services
from modules.notifications.messages import Message
from modules.notifications.models import Notification
from tests.contracts.conformance import Case

EARLIER = datetime(2026, 1, 2, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 1, 3, 17, 45, 12, 345678, tzinfo=UTC)


def two_sent_to_ann() -> dict[str, Notification]:
    sent = {}
    for subject, reference, sent_at in (("Welcome", "test:1", EARLIER), ("Your order", "test:2", LATER)):
        message = Message(recipient="ann@example.com", subject=subject, body="...", reference=reference)
        notification = services.notification_send(message=message)
        assert notification is not None
        Notification.objects.filter(pk=notification.pk).update(sent_at=sent_at)  # a known, distinct time
        sent[subject] = notification
    services.notification_send(message=Message(recipient="bob@example.com", subject="Hi", body=".", reference="t:3"))
    return sent


def anns(sent: dict[str, Notification]) -> tuple[SentNotification, ...]:
    return (
        SentNotification(id=sent["Your order"].id, recipient="ann@example.com", subject="Your order", sent_at=LATER),
        SentNotification(id=sent["Welcome"].id, recipient="ann@example.com", subject="Welcome", sent_at=EARLIER),
    )


CASES = (
    Case(
        name="what was sent to a recipient, newest first",
        method="list_sent",
        given=two_sent_to_ann,
        arguments={"recipient": "ann@example.com"},
        expect=anns,
    ),
    Case(
        name="the recipient's address is matched whatever its case",
        method="list_sent",
        given=two_sent_to_ann,
        arguments={"recipient": "ANN@Example.com"},
        expect=anns,
    ),
    Case(
        name="nothing sent, nothing listed",
        method="list_sent",
        given=two_sent_to_ann,
        arguments={"recipient": "carol@example.com"},
        expect=(),
    ),
    Case(
        name="a malformed recipient is refused",
        method="list_sent",
        arguments={"recipient": "not-an-email"},
        expect=InvalidRecipientError("not an email address: 'not-an-email'"),
    ),
)
