"""The Idempotency-Key header in the public API document, on every unsafe operation of every
module, from one place instead of a parameter repeated in each module's router."""

from typing import Any

from app.idempotency.request import HEADER, MAX_KEY_LENGTH, UNSAFE_METHODS

PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "description": (
        "Makes a retry safe: a request repeated with the same key (and the same method, path, query and body) "
        "returns the original response with `Idempotent-Replayed: true` and does nothing again; the same key with "
        "a different request is refused (422, `idempotency_key_reused`). Keys are per caller and expire after "
        "IDEMPOTENCY_KEY_TTL seconds (a day by default)."
    ),
}


def idempotency_key_document(schema: dict[str, Any], *, module_paths: tuple[str, ...]) -> None:
    """Add the header to the unsafe operations of the paths under ``module_paths`` (e.g. "/api/orders")."""
    for path, operations in schema.get("paths", {}).items():
        if not any(path == prefix or path.startswith(f"{prefix}/") for prefix in module_paths):
            continue
        for method, operation in operations.items():
            if method.upper() not in UNSAFE_METHODS:
                continue
            parameters = operation.setdefault("parameters", [])
            if PARAMETER not in parameters:  # one operation serving several methods is one dict
                parameters.append(dict(PARAMETER))
