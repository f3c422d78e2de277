"""Issuing and verifying access tokens.

Verification trusts nothing in the token's header but the key id: the algorithm is fixed to
RS256 (so ``alg: none`` and HS256-signed-with-the-public-key confusion fail), the key must be
one we know, and signature, expiry, not-before, issuer and audience are all checked.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from django.conf import settings

from app.identity.keys import signing_key
from contracts.kernel.identity import STAFF, Principal

ALGORITHM = "RS256"


class InvalidTokenError(Exception):
    """Why a token was refused, in words safe to return to the client."""


def token_issue(*, subject: str, roles: tuple[str, ...], email: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    claims = {
        "sub": subject,
        "roles": list(roles),
        "email": email,
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(seconds=settings.JWT_ACCESS_TTL),
    }
    key = signing_key()
    return jwt.encode(claims, key.private, algorithm=ALGORITHM, headers={"kid": key.kid})


def token_verify(token: str) -> Principal:
    claims = _decode(token)
    return Principal(subject=str(claims["sub"]), roles=tuple(claims.get("roles", ())), email=claims.get("email", ""))


def _decode(token: str) -> dict[str, Any]:
    key = signing_key()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError:
        raise InvalidTokenError("malformed token") from None
    if header.get("alg") != ALGORITHM:
        raise InvalidTokenError(f"algorithm {header.get('alg')!r} not accepted (RS256 only)")
    if header.get("kid") != key.kid:
        raise InvalidTokenError("unknown signing key (kid)")
    try:
        return jwt.decode(
            token,
            key.public,
            algorithms=[ALGORITHM],
            audience=settings.JWT_AUDIENCE,
            issuer=settings.JWT_ISSUER,
            options={"require": ["exp", "nbf", "iat", "iss", "aud", "sub"]},
            leeway=settings.JWT_LEEWAY,
        )
    except jwt.ExpiredSignatureError:
        raise InvalidTokenError("token expired") from None
    except jwt.ImmatureSignatureError:
        raise InvalidTokenError("token not valid yet") from None
    except jwt.InvalidAudienceError:
        raise InvalidTokenError("token is for another audience") from None
    except jwt.InvalidIssuerError:
        raise InvalidTokenError("token from an unknown issuer") from None
    except jwt.InvalidTokenError as error:
        raise InvalidTokenError(f"invalid token: {type(error).__name__}") from None


def roles_of(*, is_staff: bool) -> tuple[str, ...]:
    return (STAFF,) if is_staff else ("customer",)
