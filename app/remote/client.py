"""The generic HTTP client for a contract: one instance implements the whole Protocol.

Each call POSTs the keyword arguments to ``<service>/internal/<module>/<method>`` through the
resilience layer (timeout, retries for idempotent methods only, a circuit breaker per service)
on a pooled connection. A domain error comes back as the same typed error; any failure to get
an answer raises ``ServiceUnavailableError``.
"""

from typing import Any

import httpx

from app import propagation
from app.remote.contract import Method, contract_methods
from app.remote.errors import error_from_wire
from app.resilience import CircuitOpenError, Target
from app.serialization import from_data, to_data
from contracts.kernel.errors import ServiceUnavailableError


class ProviderFailedError(Exception):
    """The provider answered, but not with a result or a domain error (5xx, garbage)."""


TRANSIENT = (httpx.TransportError, ProviderFailedError)


class RemoteContract:
    def __init__(
        self, *, interface: type[Any], module: str, base_url: str, token: str, target: Target, http: httpx.Client
    ) -> None:
        self._module = module
        self._base_url = base_url
        self._token = token
        self._target = target
        self._http = http
        for method in contract_methods(interface).values():
            setattr(self, method.name, self._bound(method))

    def _bound(self, method: Method) -> Any:
        def call(**kwargs: Any) -> Any:
            return self._call(method, kwargs)

        call.__name__ = method.name
        return call

    def _call(self, method: Method, kwargs: dict[str, Any]) -> Any:
        unexpected = set(kwargs) - set(method.parameters)
        if unexpected:
            raise TypeError(f"{method.name}() got unexpected keyword arguments {sorted(unexpected)}")
        body = {"kwargs": {name: to_data(value) for name, value in kwargs.items()}}
        try:
            answer = self._target.call(lambda: self._post(method.name, body), repeatable=method.idempotent)
        except (*TRANSIENT, CircuitOpenError) as error:
            raise ServiceUnavailableError(
                f"{self._module} ({self._base_url})", str(error) or type(error).__name__
            ) from error
        return from_data(method.returns, answer["result"])

    def _post(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self._http.post(
            f"{self._base_url}/internal/{self._module}/{name}",
            json=body,
            headers={**propagation.capture(), "Authorization": f"Bearer {self._token}"},
        )
        if response.status_code == 422 and "error" in response.json():
            raise error_from_wire(response.json()["error"])
        if response.status_code != 200:
            raise ProviderFailedError(f"HTTP {response.status_code} from {self._module}.{name}")
        result: dict[str, Any] = response.json()
        return result
