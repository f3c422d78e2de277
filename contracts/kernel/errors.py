"""The root of every domain error that may cross a module boundary (and, later, the wire)."""


class DomainError(Exception):
    """A business rule said no. Carries a stable machine-readable ``code`` and a message."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(DomainError):
    code = "not_found"


class PermissionDeniedError(DomainError):
    """The caller is known but may not do this (e.g. an operator-only view)."""

    code = "permission_denied"


class ConflictError(DomainError):
    """The request is valid but the thing's current state forbids it (HTTP 409)."""

    code = "conflict"


class PortNotBoundError(LookupError):
    """A port was used before the composition root (``app.bootstrap``) bound it."""


class ServiceUnavailableError(Exception):
    """A module could not be reached (network, timeout, open circuit). Not a domain answer:
    callers may fall back (e.g. keep an order "payment pending") or surface a 503."""

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"{target} unavailable: {reason}")
        self.target = target
        self.reason = reason
