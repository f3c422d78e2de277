"""The root of every domain error that may cross a module boundary (and, later, the wire)."""


class DomainError(Exception):
    """A business rule said no. Carries a stable machine-readable ``code`` and a message."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(DomainError):
    code = "not_found"


class PortNotBoundError(LookupError):
    """A port was used before the composition root (``app.bootstrap``) bound it."""
