"""What identifies an idempotent request: its key (the header, validated), its scope (who sent
it) and its fingerprint (what was sent), and the module database its response belongs in."""

import hashlib
import re
from dataclasses import dataclass

from django.http import HttpRequest

from app.bootstrap import runtime
from app.identity.tokens import InvalidTokenError, token_verify

HEADER = "Idempotency-Key"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_PREFIX = "/api/"  # where app.urls mounts the public API; modules live at /api/<module>/
MAX_KEY_LENGTH = 255
ANONYMOUS = "anonymous"
# Visible ASCII, inner spaces allowed: the key ends up in logs and error messages.
_KEY = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")


class InvalidIdempotencyKeyError(ValueError):
    """Why a header value is not a usable key, in words safe to return to the client."""


@dataclass(frozen=True, kw_only=True)
class IdempotentRequest:
    scope: str
    key: str
    fingerprint: str


def idempotency_key_parse(value: str) -> str:
    if not value:
        raise InvalidIdempotencyKeyError(f"the {HEADER} header is empty")
    if len(value) > MAX_KEY_LENGTH:
        raise InvalidIdempotencyKeyError(f"the {HEADER} header is longer than {MAX_KEY_LENGTH} characters")
    if not _KEY.fullmatch(value):
        raise InvalidIdempotencyKeyError(
            f"the {HEADER} header must be printable ASCII without leading or trailing spaces"
        )
    return value


def request_module_alias(request: HttpRequest) -> str | None:
    """The database alias of the module this service hosts that ``request`` is for, if any.
    Routes of modules hosted elsewhere are proxied: the hosting service applies the key."""
    if not request.path_info.startswith(API_PREFIX):
        return None
    module = request.path_info[len(API_PREFIX) :].split("/", 1)[0]
    try:
        return runtime().alias_for_module(module)
    except LookupError:
        return None


def request_scope(request: HttpRequest) -> str | None:
    """Whose keys this request may see: its verified principal's, or the anonymous callers' when
    it carries no credentials. ``None`` for credentials that do not verify: authentication will
    refuse the request, so there is nothing to remember. (Middleware runs before the API's own
    authentication, which is why the token is verified here too.)"""
    authorization = request.headers.get("Authorization")
    if not authorization:
        return ANONYMOUS
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        subject = token_verify(token.strip()).subject
    except InvalidTokenError:
        return None
    scope = f"principal:{subject}"
    # Subjects are short ids in practice; a long one is hashed so it still fits the column.
    return scope if len(scope) <= MAX_KEY_LENGTH else f"principal-sha256:{hashlib.sha256(subject.encode()).hexdigest()}"


def request_fingerprint(request: HttpRequest) -> str:
    """sha256 of method, path, query string and body bytes: a retry must send the same bytes."""
    digest = hashlib.sha256()
    for part in (request.method or "", request.path, request.META.get("QUERY_STRING", "")):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\n")  # none of them holds a raw newline
    digest.update(request.body)
    return digest.hexdigest()
