"""The token signing key. From JWT_PRIVATE_KEY (PEM) or JWT_PRIVATE_KEY_FILE; in development a
key is generated on first use under var/keys/ (git-ignored, never committed)."""

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class SigningKey:
    private: rsa.RSAPrivateKey
    kid: str

    @property
    def public(self) -> rsa.RSAPublicKey:
        return self.private.public_key()

    def jwk(self) -> dict[str, Any]:
        numbers = self.public.public_numbers()
        return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": _b64(numbers.n), "e": _b64(numbers.e)}


@cache
def signing_key() -> SigningKey:
    private = _load_private_key()
    return SigningKey(private=private, kid=_thumbprint(private.public_key()))


def _load_private_key() -> rsa.RSAPrivateKey:
    pem = settings.JWT_PRIVATE_KEY.encode() if settings.JWT_PRIVATE_KEY else _key_file().read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ImproperlyConfigured("JWT_PRIVATE_KEY must be an RSA private key (RS256)")
    return key


def _key_file() -> Path:
    path = Path(settings.JWT_PRIVATE_KEY_FILE)
    if not path.exists():
        if not settings.JWT_GENERATE_DEV_KEY:
            raise ImproperlyConfigured(f"no JWT signing key: set JWT_PRIVATE_KEY or create {path}")
        _generate(path)
    return path


def _generate(path: Path) -> None:
    """Atomically: several processes starting at once (gunicorn workers, a relay) must all end up
    with the same key, so the first complete file wins and the others use it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    draft.write_bytes(pem)
    draft.chmod(0o600)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()


def _thumbprint(public: rsa.RSAPublicKey) -> str:
    """RFC 7638: the SHA-256 of the canonical public JWK names the key."""
    numbers = public.public_numbers()
    canonical = json.dumps({"e": _b64(numbers.e), "kty": "RSA", "n": _b64(numbers.n)}, separators=(",", ":"))
    return _b64_bytes(hashlib.sha256(canonical.encode()).digest())


def _b64(number: int) -> str:
    return _b64_bytes(number.to_bytes((number.bit_length() + 7) // 8, "big"))


def _b64_bytes(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
