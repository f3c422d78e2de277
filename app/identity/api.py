"""POST /api/auth/token and GET /api/auth/jwks.json (both public)."""

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from app.identity.keys import signing_key
from app.identity.tokens import roles_of, token_issue

router = Router(tags=["auth"])


class TokenRequestIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


@router.post("/token", response=TokenOut, auth=None, summary="Exchange a username and password for an access token")
def token_create(request: HttpRequest, payload: TokenRequestIn) -> TokenOut:
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None or not user.is_active:
        raise HttpError(401, "invalid username or password")
    token = token_issue(subject=str(user.pk), roles=roles_of(is_staff=user.is_staff), email=user.email)
    return TokenOut(access_token=token, expires_in=settings.JWT_ACCESS_TTL)


@router.get("/jwks.json", auth=None, summary="The public keys that verify access tokens")
def jwks(request: HttpRequest) -> dict[str, Any]:
    return {"keys": [signing_key().jwk()]}
