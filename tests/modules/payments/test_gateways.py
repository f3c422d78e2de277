"""The provider adapter: its answers as values, transport failures as "unavailable" (and whether
the request may have reached the provider anyway), idempotency keys on every request, one pool."""

import json
from decimal import Decimal

import pytest

from modules.payments import gateways
from tests.app.upstream import Reply, Upstream, unused_url
from tests.modules.payments.support import provider_running


def authorize_at(*, key: str = "payment-1-authorize", amount: str = "10.00", currency: str = "EUR", **extra):
    return gateways.provider_authorize(
        idempotency_key=key,
        amount=Decimal(amount),
        currency=currency,
        reference=extra.get("reference", "order-1"),
        customer_email=extra.get("customer_email", "ann@example.com"),
    )


def test_an_authorization_and_a_decline_are_answers(provider) -> None:
    authorized = authorize_at()
    assert authorized == gateways.Authorized(reference=provider.authorizations()[0]["id"])
    assert authorize_at(key="k2", amount="1000.01") == gateways.Declined(
        reason="amount 1000.01 is over the limit of 1000"
    )


def test_the_same_key_asked_again_is_the_same_authorization(provider) -> None:
    assert authorize_at() == authorize_at() == authorize_at()
    assert len(provider.authorizations()) == 1


def test_a_request_the_provider_rejects_is_a_final_decline_naming_why(provider) -> None:
    declined = authorize_at(currency="eu")
    assert isinstance(declined, gateways.Declined)
    assert declined.reason.startswith("refused by the payment provider (422): currency must be")


def test_a_refused_connection_is_unavailable_and_surely_not_sent(settings) -> None:
    with provider_running(settings):
        settings.PAYMENT_PROVIDER_URL = unused_url()
        outcome = authorize_at()
    assert isinstance(outcome, gateways.Unavailable)
    assert outcome.maybe_sent is False
    assert "ConnectError" in outcome.reason


@pytest.mark.parametrize(
    ("behaviour", "expected"), [({"latency": 0.5}, "ReadTimeout"), ({"failure_rate": 1.0}, "answered 503")]
)
def test_a_timeout_or_a_5xx_is_unavailable_and_may_have_been_sent(settings, behaviour, expected) -> None:
    with provider_running(settings, **behaviour) as provider:
        outcome = authorize_at()
        assert provider.count("POST") == 2  # the policy's two attempts, both failed
    assert isinstance(outcome, gateways.Unavailable)
    assert outcome.maybe_sent is True
    assert expected in outcome.reason


def test_capture_then_void_is_refused_by_the_provider(provider) -> None:
    authorized = authorize_at()
    assert isinstance(authorized, gateways.Authorized)
    assert gateways.provider_capture(idempotency_key="c", authorization_id=authorized.reference) == gateways.Done()
    refused = gateways.provider_void_all(reference="order-1", idempotency_prefix="payment-1")
    assert isinstance(refused, gateways.Refused)
    assert "captured" in refused.reason


def test_void_all_releases_every_authorization_held_for_the_reference(provider) -> None:
    authorize_at(key="a")
    authorize_at(key="b")  # (two keys for one order: what a buggy or crashed caller could leave)
    authorize_at(key="c", reference="another-order")
    assert gateways.provider_void_all(reference="order-1", idempotency_prefix="p") == gateways.Done(voided=2)
    assert gateways.provider_void_all(reference="order-1", idempotency_prefix="p") == gateways.Done(voided=0)
    assert [a["status"] for a in provider.authorizations()] == ["voided", "voided", "authorized"]


def test_every_request_carries_its_idempotency_key_and_connections_are_pooled(settings) -> None:
    answer = json.dumps({"id": "auth_1", "status": "authorized"}).encode()
    upstream = Upstream(lambda _: Reply(status=201, body=answer))
    with upstream.running(), provider_running(settings):
        settings.PAYMENT_PROVIDER_URL = upstream.url
        authorize_at(key="payment-7-authorize")
        authorize_at(key="payment-7-authorize")
    first, second = upstream.received
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"] == "payment-7-authorize"
    assert json.loads(first.body) == {
        "amount": "10.00",
        "currency": "EUR",
        "reference": "order-1",
        "customer_email": "ann@example.com",
    }
    assert first.client_port == second.client_port  # one kept-alive connection, reused
