from contracts.kernel.errors import DomainError


class InvalidRecipientError(DomainError):
    code = "invalid_recipient"
