"""The principal across boundaries: its claims (never a token) travel as the ``x-actor`` header
of events and remote contract calls, and are made current again on the other side."""

import json
from collections.abc import Mapping
from contextlib import AbstractContextManager

from contracts.kernel.identity import Principal, acting_as, current_principal

HEADER = "x-actor"


class ActorPropagator:
    def capture(self) -> dict[str, str]:
        principal = current_principal()
        if principal is None:
            return {}
        claims = {"sub": principal.subject, "roles": list(principal.roles), "email": principal.email}
        return {HEADER: json.dumps(claims, separators=(",", ":"))}

    def restore(self, headers: Mapping[str, str]) -> AbstractContextManager[None]:
        return acting_as(_principal(headers.get(HEADER)))


def _principal(raw: str | None) -> Principal | None:
    if not raw:
        return None
    claims = json.loads(raw)
    return Principal(subject=str(claims["sub"]), roles=tuple(claims.get("roles", ())), email=claims.get("email", ""))
