"""The generic HTTP client for a contract: one instance implements the whole Protocol.

Each call POSTs the keyword arguments to ``<service>/internal/<module>/<method>`` through the
resilience layer (timeout, retries for idempotent methods only, a circuit breaker per service)
on a pooled connection. A domain error comes back as the same typed error; any failure to get
an answer raises ``ServiceUnavailableError``.

The caller's context travels as headers (``app.propagation``): trace, actor, request and
correlation ids. The contract call's own span (``app.observability.calls``) is the client span
of the call, so httpx's instrumentation is suppressed around the request: it would add a second
client span per call, and cost as much as the rest of the client's work.
"""

from typing import Any

import httpx
from opentelemetry.instrumentation.utils import suppress_http_instrumentation

from app import propagation
from app.remote.contract import Method, contract_methods
from app.remote.errors import error_from_wire
from app.resilience import CircuitOpenError, Target
from app.serialization import SerializationError, from_data, to_data
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
        self._authorization = f"Bearer {token}"
        self._target = target
        self._timeout = httpx.Timeout(target.policy.timeout)
        self._http = http
        self._urls: dict[str, httpx.URL] = {}  # parsed once: httpx parses a URL string on every request
        for method in contract_methods(interface).values():
            self._urls[method.name] = httpx.URL(f"{base_url}/internal/{module}/{method.name}")
            setattr(self, method.name, self._bound(method))

    def _bound(self, method: Method) -> Any:
        def call(**kwargs: Any) -> Any:
            return self._call(method, kwargs)

        call.__name__ = method.name
        return call

    def _call(self, method: Method, kwargs: dict[str, Any]) -> Any:
        if kwargs.keys() != method.parameters.keys():
            _refuse(method, kwargs)
        body = {"kwargs": {name: to_data(value) for name, value in kwargs.items()}}
        try:
            return self._target.call(lambda: self._post(method, body), repeatable=method.idempotent)
        except (*TRANSIENT, CircuitOpenError) as error:
            raise ServiceUnavailableError(
                f"{self._module} ({self._base_url})", str(error) or type(error).__name__
            ) from error

    def _post(self, method: Method, body: dict[str, Any]) -> Any:
        headers = propagation.http_headers()
        headers["authorization"] = self._authorization  # the service's credentials, never a captured one
        with suppress_http_instrumentation():
            response = self._http.post(self._urls[method.name], json=body, headers=headers, timeout=self._timeout)
        where = f"{self._module}.{method.name}"
        if response.status_code == 422 and isinstance(error := _answer(response, where).get("error"), dict):
            raise error_from_wire(error)
        if response.status_code != 200:
            raise ProviderFailedError(f"HTTP {response.status_code} from {where}")
        try:
            return from_data(method.returns, _answer(response, where)["result"])
        except (KeyError, SerializationError) as error:
            raise ProviderFailedError(f"unreadable result from {where}: {error}") from error


def _refuse(method: Method, kwargs: dict[str, Any]) -> None:
    """Refused here, as Python would refuse them in-process, before anything is sent."""
    unexpected, missing = set(kwargs) - set(method.parameters), set(method.parameters) - set(kwargs)
    if unexpected:
        raise TypeError(f"{method.name}() got unexpected keyword arguments {sorted(unexpected)}")
    raise TypeError(f"{method.name}() missing required keyword arguments {sorted(missing)}")


def _answer(response: httpx.Response, where: str) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise ProviderFailedError(f"HTTP {response.status_code} from {where}, not a JSON object")
    return answer
