"""Every log line carries the ids; X-Request-ID is honoured and echoed; secrets never reach a line."""

import logging
import re

import pytest
import structlog
from django.core.mail import send_mail

from app.events.models import OutboxEvent
from app.observability.logging import REDACTED, formatter, redact, redact_text
from modules.notifications import services as notification_services

IDS = ("service", "module", "trace_id", "span_id", "correlation_id", "request_id")
JWT = "eyJhbGciOiJSUZI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_the_lines_of_a_request_and_of_its_handlers_carry_every_id(
    spans, catalogue, place, log_lines, monkeypatch
) -> None:
    def logging_send_mail(subject: str, body: str, sender: str, recipients: list[str]) -> int:
        logging.getLogger("modules.notifications.services").info("mailing %s (auth Bearer %s)", recipients[0], JWT)
        return send_mail(subject, body, sender, recipients)

    monkeypatch.setattr(notification_services, "send_mail", logging_send_mail)
    response = place(HTTP_X_REQUEST_ID="req-4242")

    assert response.status_code == 201
    assert response["X-Request-ID"] == "req-4242"
    lines = log_lines()
    [access] = [line for line in lines if line["logger"] == "app.observability.access"]
    mails = [line for line in lines if line["message"].startswith("mailing")]
    assert len(mails) == 2  # order received, order confirmed
    for line in (access, *mails):
        assert all(line[name] for name in IDS), line
        assert re.fullmatch(r"[0-9a-f]{32}", line["trace_id"])
        assert re.fullmatch(r"[0-9a-f]{16}", line["span_id"])
        assert (line["service"], line["request_id"], line["correlation_id"]) == ("monolith", "req-4242", "req-4242")
    assert len({line["trace_id"] for line in (access, *mails)}) == 1
    assert (access["module"], {line["module"] for line in mails}) == ("platform", {"notifications"})
    assert access["http_status"] == 201
    assert mails[0]["message"] == f"mailing a***@example.com (auth Bearer {REDACTED})"
    assert "ann@example.com" not in str(lines)
    assert "eyJ" not in str(lines)


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_the_events_of_a_request_carry_its_request_and_correlation_ids(catalogue, place) -> None:
    place(HTTP_X_REQUEST_ID="req-77", HTTP_X_CORRELATION_ID="journey-9")
    placed = OutboxEvent.objects.using("orders").get(type="orders.OrderPlacedV1")
    assert (placed.headers["x-request-id"], placed.headers["correlation_id"]) == ("req-77", "journey-9")
    reserve = OutboxEvent.objects.using("orders").get(type="inventory.ReserveStockV1")
    reserved = OutboxEvent.objects.using("inventory").get(type="inventory.StockReservedV1")
    assert reserved.headers["correlation_id"] == "journey-9"
    assert reserved.headers["causation_id"] == str(reserve.id)  # the command it answers


@pytest.mark.django_db(databases="__all__")
def test_a_request_id_is_generated_when_missing_and_replaced_when_unacceptable(client) -> None:
    generated = client.get("/api/health")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert client.get("/api/health", HTTP_X_REQUEST_ID="abc-123_x:y.z")["X-Request-ID"] == "abc-123_x:y.z"
    for bad in ("evil\nline", "x" * 200, "<script>", " padded"):
        echoed = client.get("/api/health", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert echoed != bad
        assert re.fullmatch(r"[0-9a-f]{32}", echoed)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("order for ann@example.com", "order for a***@example.com"),
        ("to: bob.smith+shop@mail.example.org", "to: b***@mail.example.org"),
        ("Authorization: Bearer abc.def-ghi", f"Authorization: Bearer {REDACTED}"),
        (f"token {JWT} leaked", f"token {REDACTED} leaked"),
        ("login password=hunter2 ok", f"login password={REDACTED} ok"),
        ('{"password": "hunter2"}', f'{{"password": "{REDACTED}"}}'),
        ("already a***@example.com", "already a***@example.com"),
        ("nothing secret here", "nothing secret here"),
    ],
)
def test_messages_are_redacted(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_sensitive_keys_are_redacted_at_any_depth() -> None:
    event = {
        "event": "called",
        "password": "hunter2",
        "access_token": "abc",
        "headers": {"Authorization": "Bearer abc", "Accept": "application/json"},
        "users": [{"email": "ann@example.com"}],
        "request_id": "req-1",
    }
    assert redact(None, "info", event) == {
        "event": "called",
        "password": REDACTED,
        "access_token": REDACTED,
        "headers": {"Authorization": REDACTED, "Accept": "application/json"},
        "users": [{"email": "a***@example.com"}],
        "request_id": "req-1",
    }


def test_structlog_loggers_render_through_the_same_pipeline(log_lines) -> None:
    structlog.stdlib.get_logger("modules.orders.services").info("placed", customer="ann@example.com", secret="s3")
    [line] = [line for line in log_lines() if line["message"] == "placed"]
    assert (line["module"], line["customer"], line["secret"]) == ("orders", "a***@example.com", REDACTED)
    assert set(IDS) <= set(line)


def test_development_lines_are_readable_and_redacted() -> None:
    record = logging.LogRecord("app.x", logging.INFO, __file__, 1, "hello %s", ("ann@example.com",), None)
    line = formatter(json=False, service="monolith").format(record)
    assert "hello a***@example.com" in line
    assert "service=monolith" in line
    assert not line.lstrip().startswith("{")
