"""Pure payment rules: the life of one payment. No Django.

A payment has a ``status`` (what is true about the money) and at most one ``Operation`` (the
provider call still owed: retried until the provider answers). Commands only decide and record;
operations are carried out after commit, outside any transaction (see services).
"""

import random
from enum import StrEnum


class PaymentStatus(StrEnum):
    PENDING = "PENDING"  # asked to authorize, no answer from the provider yet
    QUEUED = "QUEUED"  # the provider was unreachable: retried in the background
    AUTHORIZED = "AUTHORIZED"
    DECLINED = "DECLINED"
    CAPTURED = "CAPTURED"
    VOIDED = "VOIDED"


class Operation(StrEnum):
    NONE = ""
    AUTHORIZE = "authorize"
    CAPTURE = "capture"
    VOID = "void"  # release at the provider whatever it holds for the order, then reply
    RECHECK = "recheck"  # the same once more, later, for an authorization that might land late


# Where an authorization may still be waiting for the provider's answer.
UNDECIDED = frozenset({PaymentStatus.PENDING, PaymentStatus.QUEUED})

VOIDED_REASON = "the payment for this order was voided before it was authorized"


def retry_delay(*, attempts: int, initial: float, cap: float, jitter: float = 0.1, rand: float | None = None) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: doubling from ``initial``,
    never over ``cap``, plus up to ``jitter`` (a fraction) so queued payments do not retry in step."""
    base = min(cap, initial * 2.0 ** max(0, attempts - 1))
    spread = random.random() if rand is None else rand
    return min(cap, base * (1 + jitter * spread))


def needs_recheck(*, provider_reference: str, provider_contacted: bool) -> bool:
    """After voiding an authorization whose answer we never got (a timeout, a crash), the provider
    may still create it afterwards: look once more later. With its reference known, or with no
    request ever sent, nothing can appear later."""
    return provider_contacted and not provider_reference
