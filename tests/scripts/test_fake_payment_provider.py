"""scripts/fake_payment_provider.py: the provider's API (idempotency, declines, capture/void rules,
lookup), its injected failures and latency, its run-time control, and the command line."""

import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from scripts.fake_payment_provider import FakePaymentProvider

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fake_payment_provider.py"
BODY = {"amount": "12.50", "currency": "EUR", "reference": "order-1", "customer_email": "ann@example.com"}


@pytest.fixture
def provider() -> Iterator[FakePaymentProvider]:
    with FakePaymentProvider() as running:
        yield running


@pytest.fixture
def http(provider) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=provider.url, timeout=5.0) as client:
        yield client


def authorize(http: httpx.Client, key: str = "key-1", **changes: Any) -> httpx.Response:
    return http.post("/v1/authorizations", json={**BODY, **changes}, headers={"Idempotency-Key": key})


def act(http: httpx.Client, authorization_id: str, action: str, key: str) -> httpx.Response:
    return http.post(f"/v1/authorizations/{authorization_id}/{action}", headers={"Idempotency-Key": key})


# --- authorizations and idempotency ----------------------------------------------------------------


def test_an_authorization_is_created(http) -> None:
    response = authorize(http)
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "status": "authorized",
        "amount": "12.50",
        "currency": "EUR",
        "reference": "order-1",
    }
    assert re.fullmatch(r"auth_[0-9a-f]{32}", body["id"])


def test_the_same_key_and_body_get_the_stored_answer_and_create_nothing_new(provider, http) -> None:
    first, again = authorize(http), authorize(http)
    assert (again.status_code, again.json()) == (201, first.json())
    assert len(provider.authorizations()) == 1


def test_the_same_key_with_another_body_is_refused(provider, http) -> None:
    authorize(http)
    response = authorize(http, amount="99.00")
    assert response.status_code == 422
    assert response.json()["error"] == "idempotency_key_reused"
    assert len(provider.authorizations()) == 1


def test_overlapping_requests_with_one_key_create_one_authorization(provider, http) -> None:
    provider.configure(latency=0.2)
    answers: list[httpx.Response] = []
    threads = [threading.Thread(target=lambda: answers.append(authorize(http))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert {r.json()["id"] for r in answers} == {provider.authorizations()[0]["id"]}
    assert len(provider.authorizations()) == 1


@pytest.mark.parametrize(
    ("amount", "email", "status", "reason"),
    [
        ("1000.00", "ann@example.com", 201, None),
        ("1000.01", "ann@example.com", 402, "amount 1000.01 is over the limit of 1000"),
        ("5.00", "Decline-me@example.com", 402, "card declined by the issuer"),
    ],
)
def test_the_decline_rule(provider, http, amount, email, status, reason) -> None:
    response = authorize(http, amount=amount, customer_email=email)
    assert response.status_code == status
    assert response.json()["status"] == ("authorized" if status == 201 else "declined")
    assert response.json().get("reason") == reason


@pytest.mark.parametrize(
    ("headers", "content", "status", "error"),
    [
        ({}, b'{"amount": "1.00"}', 400, "idempotency_key_required"),
        ({"Idempotency-Key": "k"}, b"{not json", 400, "invalid_json"),
        ({"Idempotency-Key": "k"}, b"[1, 2]", 422, "invalid_request"),
    ],
)
def test_malformed_requests_are_4xx_with_a_json_reason(http, headers, content, status, error) -> None:
    response = http.post("/v1/authorizations", content=content, headers=headers)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"amount": "ten"}, "amount"),
        ({"currency": "euro"}, "currency"),
        ({"customer_email": "nobody"}, "customer_email"),
        ({"reference": ""}, "reference"),
    ],
)
def test_invalid_fields_are_named(provider, http, changes, named) -> None:
    response = authorize(http, **changes)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(named)
    assert provider.authorizations() == []


def test_missing_fields_are_listed(http) -> None:
    response = http.post("/v1/authorizations", json={"amount": "1.00"}, headers={"Idempotency-Key": "k"})
    assert response.status_code == 422
    assert response.json()["detail"] == "missing field(s): currency, reference, customer_email"


# --- capture and void ------------------------------------------------------------------------------


def test_capture_then_void_is_a_conflict_and_capture_again_is_fine(http) -> None:
    authorization_id = authorize(http).json()["id"]
    captured = act(http, authorization_id, "capture", "c1")
    assert (captured.status_code, captured.json()["status"]) == (200, "captured")
    assert act(http, authorization_id, "capture", "c2").status_code == 200
    refused = act(http, authorization_id, "void", "v1")
    assert (refused.status_code, refused.json()["error"]) == (409, "conflict")


def test_void_then_capture_is_a_conflict_and_void_again_is_fine(http) -> None:
    authorization_id = authorize(http).json()["id"]
    assert act(http, authorization_id, "void", "v1").json()["status"] == "voided"
    assert act(http, authorization_id, "void", "v2").status_code == 200
    assert act(http, authorization_id, "capture", "c1").status_code == 409


def test_a_declined_authorization_can_be_neither_captured_nor_voided(http) -> None:
    authorization_id = authorize(http, amount="5000.00").json()["id"]
    assert act(http, authorization_id, "capture", "c").status_code == 409
    assert act(http, authorization_id, "void", "v").status_code == 409


def test_capture_and_void_need_a_key_and_a_known_authorization(http) -> None:
    authorization_id = authorize(http).json()["id"]
    assert http.post(f"/v1/authorizations/{authorization_id}/capture").status_code == 400
    assert act(http, "auth_nope", "capture", "c").status_code == 404


def test_a_replayed_capture_key_returns_the_stored_answer_even_after_a_void(http) -> None:
    first = authorize(http, key="a").json()["id"]
    captured = act(http, first, "capture", "shared")
    second = authorize(http, key="b", reference="order-2").json()["id"]
    reused = act(http, second, "void", "shared")  # same key, another request
    assert reused.status_code == 422
    assert act(http, first, "capture", "shared").json() == captured.json()


# --- lookup, health, unknown routes ------------------------------------------------------------


def test_lookup_by_reference_and_the_whole_ledger(http) -> None:
    one = authorize(http, key="a").json()
    authorize(http, key="b", reference="order-2")
    assert http.get("/v1/authorizations", params={"reference": "order-1"}).json() == {"authorizations": [one]}
    assert len(http.get("/v1/authorizations").json()["authorizations"]) == 2
    assert http.get(f"/v1/authorizations/{one['id']}").json() == one
    assert http.get("/v1/authorizations/auth_unknown").status_code == 404


def test_health_unknown_routes_and_methods(http) -> None:
    assert http.get("/v1/health").json() == {
        "status": "ok",
        "decline_over": "1000",
        "failure_rate": 0.0,
        "latency": 0.0,
    }
    assert http.get("/v1/nothing").status_code == 404
    assert http.delete("/v1/authorizations").status_code == 405
    assert http.post("/v1/health").status_code == 405


# --- failures, latency and control ---------------------------------------------------------------------


def test_failures_are_503s_that_process_nothing_and_control_turns_them_on_and_off(provider, http) -> None:
    assert http.post("/_control", json={"failure_rate": 1.0}).json()["failure_rate"] == 1.0
    response = authorize(http)
    assert (response.status_code, response.json()["error"]) == (503, "unavailable")
    assert provider.authorizations() == []
    assert http.get("/v1/health").status_code == 200  # health never fails
    http.post("/_control", json={"failure_rate": 0.0})
    assert authorize(http).status_code == 201


def test_a_partial_failure_rate_fails_about_that_share(provider, http) -> None:
    provider.configure(failure_rate=0.5)
    statuses = [http.get("/v1/authorizations").status_code for _ in range(200)]
    assert 60 < statuses.count(503) < 140
    assert set(statuses) == {200, 503}


def test_latency_delays_every_api_request_and_a_caller_that_gave_up_finds_it_done(provider, http) -> None:
    http.post("/_control", json={"latency": 0.3})
    started = time.monotonic()
    assert http.get("/v1/authorizations").status_code == 200
    assert 0.3 <= time.monotonic() - started < 0.6  # 0.3 s plus at most 10% jitter
    with pytest.raises(httpx.ReadTimeout):
        http.post("/v1/authorizations", json=BODY, headers={"Idempotency-Key": "late"}, timeout=0.1)
    time.sleep(0.4)
    assert [a["reference"] for a in provider.authorizations()] == ["order-1"]  # processed all the same


@pytest.mark.parametrize(
    "change",
    [{"failure_rate": 2}, {"latency": -1}, {"decline_over": "lots"}, {"speed": 1}, {"failure_rate": "high"}],
)
def test_bad_control_values_are_refused_and_change_nothing(http, change) -> None:
    response = http.post("/_control", json=change)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_control"
    assert http.get("/_control").json()["failure_rate"] == 0.0


def test_the_decline_limit_can_be_changed_at_run_time(http) -> None:
    http.post("/_control", json={"decline_over": "10"})
    assert authorize(http).status_code == 402


# --- stop, start, state -------------------------------------------------------------------------------


def test_a_stopped_provider_answers_nothing_not_even_on_a_kept_alive_connection_and_keeps_its_ledger(
    provider, http
) -> None:
    authorize(http)
    provider.stop()
    with pytest.raises(httpx.TransportError):
        http.get("/v1/health")
    provider.start()  # the same port
    assert len(http.get("/v1/authorizations").json()["authorizations"]) == 1


def test_a_state_file_keeps_authorizations_and_keys_across_a_restart(tmp_path) -> None:
    state = tmp_path / "provider.json"
    with FakePaymentProvider(state_file=state) as first, httpx.Client(base_url=first.url) as http:
        created = authorize(http).json()
        act(http, created["id"], "capture", "c1")
    with FakePaymentProvider(state_file=state) as second, httpx.Client(base_url=second.url) as http:
        assert authorize(http).json() == created  # the stored answer, not a second authorization
        assert [a["status"] for a in second.authorizations()] == ["captured"]
        assert second.total("captured") == Decimal("12.50")


# --- the command line ------------------------------------------------------------------------------------


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *arguments], capture_output=True, text=True, timeout=20)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "localhost"])
def test_any_host_but_127_0_0_1_is_refused(host) -> None:
    result = run("--host", host, "--port", "0")
    assert result.returncode == 2
    assert result.stderr == f"fake_payment_provider: refusing to bind {host}: only 127.0.0.1 is allowed\n"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--failure-rate", "1.5"], "must be between 0 and 1"),
        (["--latency", "soon"], "not a number"),
        (["--decline-over", "-5"], "non-negative amount"),
        (["--port", "99999"], "port number"),
        (["--state", "/nonexistent/dir/state.json"], "no folder for the state file"),
    ],
)
def test_bad_arguments_exit_non_zero_with_one_line(arguments, message) -> None:
    result = run(*arguments)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert message in result.stderr


def test_a_port_in_use_exits_non_zero_with_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = run("--port", str(taken.getsockname()[1]))
    assert result.returncode == 1
    assert result.stderr.startswith("fake_payment_provider: cannot start on 127.0.0.1:")
    assert result.stderr.count("\n") == 1


def test_as_a_process_it_serves_with_its_flags_keeps_state_and_stops_on_sigterm(tmp_path) -> None:
    state = tmp_path / "state.json"
    arguments = ("--port", "0", "--decline-over", "20", "--quiet", "--state", str(state))
    with Started(*arguments) as url, httpx.Client(base_url=url, timeout=5.0) as http:
        assert http.get("/v1/health").json()["decline_over"] == "20"
        assert authorize(http, amount="25.00").status_code == 402
        kept = authorize(http, key="k2", amount="15.00").json()
    with Started(*arguments) as url, httpx.Client(base_url=url, timeout=5.0) as http:
        assert http.get("/v1/authorizations", params={"reference": "order-1"}).json()["authorizations"][1] == kept


class Started:
    """The script as a process; yields its URL (read from its first line); SIGTERM at the end."""

    def __init__(self, *arguments: str) -> None:
        self.process = subprocess.Popen([sys.executable, str(SCRIPT), *arguments], stderr=subprocess.PIPE, text=True)

    def __enter__(self) -> str:
        assert self.process.stderr is not None
        line = self.process.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert found, f"no URL in {line!r}"
        return found.group(0)

    def __exit__(self, *_: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=5) == 0
        if self.process.stderr is not None:
            self.process.stderr.close()
