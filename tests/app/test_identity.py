"""Access tokens: issued for a Django user, verified strictly; every known attack is a 401 JSON."""

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.test import Client

from app.identity.keys import signing_key
from app.identity.tokens import ALGORITHM, token_issue

pytestmark = pytest.mark.django_db(databases=["default", "orders"])

ORDER = "/api/orders/0190a0a0-0000-7000-8000-000000000000"


def claims(**overrides: object) -> dict[str, object]:
    from django.conf import settings

    now = datetime.now(UTC)
    base = {
        "sub": "1",
        "roles": ["customer"],
        "email": "a@example.com",
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
    }
    return {**base, **overrides}


def signed(payload: dict[str, object], **headers: object) -> str:
    key = signing_key()
    return jwt.encode(payload, key.private, algorithm=ALGORITHM, headers={"kid": key.kid, **headers})


def call(token: str | None) -> tuple[int, dict[str, str]]:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}") if token is not None else Client()
    response = client.get(ORDER)
    return response.status_code, response.json()


def unsigned(payload: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data, default=str).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': signing_key().kid})}.{part(payload)}."


def test_a_user_exchanges_credentials_for_a_token_that_opens_the_api(django_user_model) -> None:
    django_user_model.objects.create_user("bob", email="bob@example.com", password="bob-pass-123")
    response = Client().post(
        "/api/auth/token", {"username": "bob", "password": "bob-pass-123"}, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["token_type"], body["expires_in"]) == ("bearer", 900)
    assert call(body["access_token"])[0] == 404  # authenticated; the order just does not exist


def test_wrong_credentials_are_a_401_with_a_json_reason(django_user_model) -> None:
    django_user_model.objects.create_user("bob", password="bob-pass-123")
    response = Client().post(
        "/api/auth/token", {"username": "bob", "password": "nope"}, content_type="application/json"
    )
    assert (response.status_code, response.json()) == (401, {"detail": "invalid username or password"})


def test_the_jwks_publishes_the_verification_key_and_it_verifies_issued_tokens() -> None:
    [jwk] = Client().get("/api/auth/jwks.json").json()["keys"]
    assert (jwk["kty"], jwk["alg"], jwk["kid"]) == ("RSA", "RS256", signing_key().kid)
    public = jwt.PyJWK(jwk).key
    token = token_issue(subject="7", roles=("customer",), email="c@example.com")
    from django.conf import settings

    decoded = jwt.decode(token, public, algorithms=["RS256"], audience=settings.JWT_AUDIENCE)
    assert decoded["sub"] == "7"


def test_no_token_is_a_401_saying_how_to_authenticate() -> None:
    status, body = call(None)
    assert status == 401
    assert "Authorization: Bearer" in body["detail"]


@pytest.mark.parametrize(
    ("make_token", "reason"),
    [
        (lambda: unsigned(claims()), "algorithm 'none' not accepted"),
        (lambda: signed(claims(exp=datetime.now(UTC) - timedelta(minutes=1))), "token expired"),
        (lambda: signed(claims(nbf=datetime.now(UTC) + timedelta(minutes=5))), "token not valid yet"),
        (lambda: signed(claims(aud="another-api")), "another audience"),
        (lambda: signed(claims(iss="https://evil.example")), "unknown issuer"),
        (lambda: signed(claims(), kid="someone-elses-key"), "unknown signing key"),
        (lambda: "not.a.jwt", "malformed token"),
    ],
    ids=["alg-none", "expired", "not-before", "wrong-audience", "wrong-issuer", "unknown-kid", "garbage"],
)
def test_attacks_and_bad_tokens_are_401_with_the_reason(make_token, reason) -> None:
    status, body = call(make_token())
    assert status == 401
    assert reason in body["detail"]
    assert body["code"] == "not_authenticated"


def test_hs256_signed_with_the_public_key_is_refused() -> None:
    """Algorithm confusion: an attacker signs HS256 using the published public key as the secret."""
    public_pem = signing_key().public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    forged = _hs256_forgery(public_pem)
    status, body = call(forged)
    assert status == 401
    assert "HS256" in body["detail"]


def _hs256_forgery(secret: bytes) -> str:
    import hashlib
    import hmac

    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(datetime.now(UTC).timestamp())
    payload = {k: (int(v.timestamp()) if isinstance(v, datetime) else v) for k, v in claims().items()}
    payload["iat"] = payload["nbf"] = now
    signing_input = f"{part({'alg': 'HS256', 'typ': 'JWT', 'kid': signing_key().kid})}.{part(payload)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def test_a_token_signed_by_another_rsa_key_with_our_kid_is_refused() -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims(), stranger, algorithm="RS256", headers={"kid": signing_key().kid})
    status, body = call(forged)
    assert status == 401
    assert "InvalidSignatureError" in body["detail"]


def test_public_endpoints_need_no_token() -> None:
    client = Client()
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/docs").status_code == 200
