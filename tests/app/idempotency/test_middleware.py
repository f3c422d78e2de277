"""Idempotency-Key on the public API, through the whole middleware stack and the real order flow.
Assertions are on what was created (orders, events, stock) and on the bytes returned, never on an
order's status, which belongs to the order flow."""

from datetime import timedelta

import httpx
import pytest
from django.test import Client
from django.utils import timezone

from app.events.models import OutboxEvent
from app.idempotency.models import IdempotencyRecord
from app.modules import ModuleSpec
from app.remote.client import TRANSIENT, RemoteContract
from app.resilience import Policy, Target
from contracts.inventory.interface import InventoryInterface
from tests.app.idempotency.support import ORDER, orders, records
from tests.app.upstream import unused_url

pytestmark = [pytest.mark.django_db(databases="__all__", transaction=True), pytest.mark.usefixtures("catalogue")]

REPLAYED = "Idempotent-Replayed"


def available(client, sku: str = "KB") -> int:
    return int(next(p["available"] for p in client.get("/api/inventory/products").json() if p["sku"] == sku))


def test_a_retry_replays_the_original_response_and_does_nothing_again(post, auth_client) -> None:
    first = post(key="order-1")
    published, stock = OutboxEvent.objects.using("orders").count(), available(auth_client)

    retry = post(key="order-1")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.content == first.content
    assert retry["Content-Type"] == first["Content-Type"] == "application/json; charset=utf-8"
    assert (retry[REPLAYED], first.has_header(REPLAYED)) == ("true", False)
    assert orders() == 1
    assert OutboxEvent.objects.using("orders").count() == published  # nothing published again
    assert available(auth_client) == stock == 48  # the first one's events were delivered; no second reservation


def test_the_response_is_kept_in_the_database_of_the_module_that_produced_it(post) -> None:
    post(key="order-1")

    (record,) = records("orders")
    assert (record.key, record.response_status) == ("order-1", 201)
    assert records("inventory") == records("notifications") == []


@pytest.mark.parametrize(
    ("path", "body"),
    [
        pytest.param("/api/orders", {**ORDER, "lines": [{"sku": "MS", "quantity": 1}]}, id="another body"),
        pytest.param("/api/orders?note=2", ORDER, id="another query string"),
    ],
)
def test_the_same_key_with_another_request_is_refused_and_changes_nothing(post, path, body) -> None:
    first = post(key="order-1")

    refused = post(path, body, key="order-1")

    assert refused.status_code == 422
    assert refused.json() == {
        "detail": "Idempotency-Key 'order-1' was used with a different request",
        "code": "idempotency_key_reused",
    }
    assert orders() == 1
    assert post(key="order-1").content == first.content  # the key still answers its own request


def test_callers_never_see_each_others_keys(post, client_as) -> None:
    anns = post(key="shared-key")

    bobs = post(key="shared-key", client=client_as(email="bob@example.com", subject="bob"))

    assert (anns.status_code, bobs.status_code) == (201, 201)
    assert not bobs.has_header(REPLAYED)
    assert bobs.json()["id"] != anns.json()["id"]
    assert orders() == 2


def test_an_expired_key_runs_the_request_again(post, settings) -> None:
    settings.IDEMPOTENCY_KEY_TTL = 60
    first = post(key="order-1")
    (record,) = records()
    assert record.expires_at - record.created_at == timedelta(seconds=60)
    IdempotencyRecord.objects.using("orders").update(expires_at=timezone.now() - timedelta(seconds=1))

    again = post(key="order-1")

    assert (again.status_code, again.has_header(REPLAYED)) == (201, False)
    assert again.json()["id"] != first.json()["id"]
    assert orders() == 2
    (record,) = records()  # replaced, and replays the new response from now on
    assert record.expires_at > timezone.now()
    assert post(key="order-1").content == again.content


def test_a_5xx_is_not_kept_and_the_retry_runs_again(post, bind) -> None:
    unreachable = RemoteContract(
        interface=InventoryInterface,
        module="inventory",
        base_url=unused_url(),
        token="unused",
        target=Target("idempotency-test", Policy(timeout=2.0, attempts=1, failures_to_open=10**6), TRANSIENT),
        http=httpx.Client(),
    )
    bind(InventoryInterface, unreachable)

    failed = post(key="order-1")

    assert failed.status_code == 503
    assert (records(), orders()) == ([], 0)
    bind(InventoryInterface, ModuleSpec("inventory").facade())  # inventory is back
    retried = post(key="order-1")
    assert (retried.status_code, retried.has_header(REPLAYED)) == (201, False)
    assert orders() == 1


def test_a_refused_request_is_replayed_as_refused(post) -> None:
    body = {**ORDER, "lines": [{"sku": "NOPE", "quantity": 1}]}
    refused = post(body=body, key="order-1")

    again = post(body=body, key="order-1")

    assert (refused.status_code, refused.json()["code"]) == (422, "unknown_sku")
    assert (again.content, again[REPLAYED]) == (refused.content, "true")
    assert orders() == 0


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        pytest.param("", "is empty", id="empty"),
        pytest.param("k" * 256, "longer than 255 characters", id="too long"),
        pytest.param("bell\x07", "printable ASCII", id="control character"),
        pytest.param("ключ", "printable ASCII", id="not ASCII"),
        pytest.param(" padded ", "printable ASCII", id="surrounding spaces"),
    ],
)
def test_a_malformed_key_is_refused_before_anything_runs(post, key, reason) -> None:
    response = post(key=key)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert reason in response.json()["detail"]
    assert (orders(), records()) == (0, [])


def test_the_longest_key_is_accepted(post) -> None:
    assert post(key="k" * 255).status_code == 201
    assert post(key="k" * 255).has_header(REPLAYED)


def test_without_the_header_nothing_changes(post) -> None:
    responses = [post(), post()]

    assert [r.status_code for r in responses] == [201, 201]
    assert not any(r.has_header(REPLAYED) for r in responses)
    assert (orders(), records()) == (2, [])


def test_safe_methods_and_routes_outside_the_modules_ignore_the_key(post, auth_client, customer) -> None:
    order = post().json()
    login = {"username": "ann", "password": "ann-pass-123"}

    got = [auth_client.get(f"/api/orders/{order['id']}", HTTP_IDEMPOTENCY_KEY="k") for _ in range(2)]
    tokens = [post("/api/auth/token", login, key="k") for _ in range(2)]

    assert [r.status_code for r in got + tokens] == [200, 200, 200, 200]
    assert not any(r.has_header(REPLAYED) for r in got + tokens)
    assert all(records(alias) == [] for alias in ("orders", "inventory", "notifications"))


@pytest.mark.parametrize(
    "client",
    [
        pytest.param(Client(), id="no credentials"),
        pytest.param(Client(headers={"Authorization": "Bearer not-a-token"}), id="a token that does not verify"),
    ],
)
def test_an_unauthenticated_request_is_refused_and_nothing_is_kept(post, client) -> None:
    response = post(key="order-1", client=client)

    assert response.status_code == 401
    assert (orders(), records()) == (0, [])
