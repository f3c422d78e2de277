"""Request authentication for the public API: a bearer JWT makes its principal current for the
request; a missing or bad token is a 401 with a JSON body saying why."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja.security import HttpBearer

from app.identity.tokens import InvalidTokenError, token_verify
from contracts.kernel.identity import Principal, acting_as, set_current_principal


class AuthenticationRequiredError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class JWTAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> Any:
        if not request.headers.get("Authorization"):
            raise AuthenticationRequiredError("authentication required: send 'Authorization: Bearer <token>'")
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> Principal:
        try:
            principal = token_verify(token)
        except InvalidTokenError as error:
            raise AuthenticationRequiredError(str(error)) from None
        set_current_principal(principal)  # PrincipalMiddleware restores the previous one afterwards
        return principal


class PrincipalMiddleware:
    """Guarantees a request never leaks its principal into the next one on the same thread."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with acting_as(None):
            return self.get_response(request)
