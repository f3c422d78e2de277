"""The payment provider, as payments sees it: its HTTP API (see scripts/fake_payment_provider.py)
behind the one resilience layer (``contracts.kernel.outbound``: timeout per attempt, retries with
jittered backoff, a circuit breaker for the "payment-provider" target).

Every request carries an ``Idempotency-Key`` derived from the payment and the operation, so
retrying one, or sending it again from another process after a crash, never charges twice; that
is what makes every call here ``repeatable``. Each function returns the provider's answer as a
value; "the provider could not be reached" is one of them (``Unavailable``), never an exception.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

import httpx
from django.conf import settings

from contracts.kernel.errors import ServiceUnavailableError
from contracts.kernel.outbound import TransientError, outbound

TARGET = "payment-provider"  # its policy: settings.OUTBOUND_TARGETS["payment-provider"]

# Failures that prove the request never left this process: the provider cannot have acted on it.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Authorized:
    reference: str  # the provider's authorization id


@dataclass(frozen=True)
class Declined:
    reason: str


@dataclass(frozen=True)
class Done:
    """A capture or void the provider carried out; ``voided`` counts authorizations released."""

    voided: int = 0


@dataclass(frozen=True)
class Refused:
    """The provider said no for good (a capture of a voided authorization...): an operator's case."""

    reason: str


@dataclass(frozen=True)
class Unavailable:
    """No answer (down, timing out, breaker open). ``maybe_sent``: a request may have reached the
    provider anyway (a timeout, a 5xx), so it may hold an authorization we never heard of."""

    reason: str
    maybe_sent: bool


class _Exchange:
    """What the attempts of one call found out, whichever attempt it was."""

    maybe_sent = False


def provider_authorize(
    *, idempotency_key: str, amount: Decimal, currency: str, reference: str, customer_email: str
) -> Authorized | Declined | Unavailable:
    body = {"amount": str(amount), "currency": currency, "reference": reference, "customer_email": customer_email}
    exchange = _Exchange()
    try:
        status, answer = _request("POST", "/v1/authorizations", key=idempotency_key, body=body, exchange=exchange)
    except ServiceUnavailableError as error:
        return Unavailable(reason=error.reason, maybe_sent=exchange.maybe_sent)
    if status == 201:
        return Authorized(reference=str(answer["id"]))
    if status == 402:
        return Declined(reason=str(answer.get("reason") or "declined by the payment provider"))
    # Any other answer is final too (asking again gets the same one): a decline the saga can act on.
    logger.error("payment provider refused authorization %s: %s %s", idempotency_key, status, answer)
    return Declined(reason=f"refused by the payment provider ({status}): {answer.get('detail', '')}"[:300])


def provider_capture(*, idempotency_key: str, authorization_id: str) -> Done | Refused | Unavailable:
    path = f"/v1/authorizations/{authorization_id}/capture"
    try:
        status, answer = _request("POST", path, key=idempotency_key)
    except ServiceUnavailableError as error:
        return Unavailable(reason=error.reason, maybe_sent=True)
    return Done() if status == 200 else Refused(reason=_refusal(status, answer))


def provider_void_all(*, reference: str, idempotency_prefix: str) -> Done | Refused | Unavailable:
    """Release every authorization the provider holds for ``reference`` (found by lookup, so also
    one whose creation we never heard back about)."""
    try:
        _, listing = _request("GET", "/v1/authorizations", params={"reference": reference})
        found = list(listing["authorizations"])
        captured = [a["id"] for a in found if a["status"] == "captured"]
        if captured:
            return Refused(reason=f"the provider has captured {', '.join(captured)}: it cannot be voided")
        held = [a["id"] for a in found if a["status"] == "authorized"]
        for authorization_id in held:
            path = f"/v1/authorizations/{authorization_id}/void"
            status, answer = _request("POST", path, key=f"{idempotency_prefix}-void-{authorization_id}")
            if status != 200:
                return Refused(reason=_refusal(status, answer))
    except ServiceUnavailableError as error:
        return Unavailable(reason=error.reason, maybe_sent=True)
    return Done(voided=len(held))


def _refusal(status: int, answer: dict[str, Any]) -> str:
    return f"the payment provider answered {status}: {answer.get('detail') or answer}"[:500]


def _request(
    method: str,
    path: str,
    *,
    key: str = "",
    body: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
    exchange: _Exchange | None = None,
) -> tuple[int, dict[str, Any]]:
    """One request under the provider's resilience policy: its status and JSON body, any status
    below 500 being an answer. Raises ``ServiceUnavailableError`` when there is none."""
    exchange = exchange or _Exchange()
    url = settings.PAYMENT_PROVIDER_URL.rstrip("/") + path
    headers = {"Idempotency-Key": key} if key else {}

    def attempt(timeout: float) -> tuple[int, dict[str, Any]]:
        try:
            response = _client().request(method, url, json=body, params=params, headers=headers, timeout=timeout)
        except NOT_SENT as error:
            raise TransientError(f"{method} {path}: {type(error).__name__}: {error}") from error
        except httpx.TransportError as error:  # a timeout or a dropped connection: it may have arrived
            exchange.maybe_sent = True
            raise TransientError(f"{method} {path}: {type(error).__name__}: {error}") from error
        exchange.maybe_sent = True
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientError(f"{method} {path}: the provider answered {response.status_code}")
        return response.status_code, _json_object(response, method, path)

    return outbound.call(TARGET, attempt, repeatable=True)


def _json_object(response: httpx.Response, method: str, path: str) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):  # garbled: the provider (or a proxy) is not well, try later
        raise TransientError(f"{method} {path}: {response.status_code} without a JSON object")
    return answer


@cache
def _client() -> httpx.Client:
    """One pooled client per process (keep-alive connections to the provider are reused)."""
    return httpx.Client(limits=httpx.Limits(max_connections=20, max_keepalive_connections=10))
