from contracts.kernel.errors import DomainError


class UnknownSkusError(DomainError):
    code = "unknown_sku"

    def __init__(self, skus: tuple[str, ...]) -> None:
        super().__init__(f"unknown sku: {', '.join(skus)}")
        self.skus = skus
