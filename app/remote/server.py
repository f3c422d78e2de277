"""The provider side: a ninja router per hosted module exposing every contract method at
``POST /internal/<module>/<method>``, derived from the Protocol and served by the facade.

Only services holding the internal token may call (service credentials, not user tokens).
"""

import hmac
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from ninja import NinjaAPI, Router
from ninja.security import HttpBearer

from app import propagation
from app.remote.contract import Method, contract_methods
from app.remote.errors import error_to_wire
from app.serialization import SerializationError, from_data, to_data
from contracts.kernel.errors import DomainError

URL_PREFIX = "internal/"  # where app.urls mounts this API


class ServiceToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> str | None:
        expected = settings.INTERNAL_API_TOKEN
        return "service" if expected and hmac.compare_digest(token, expected) else None


def internal_api(providers: dict[str, tuple[type[Any], object]]) -> NinjaAPI:
    """``providers``: module name -> (contract interface, implementation)."""
    api = NinjaAPI(title="Internal contracts", urls_namespace="internal", docs_url=None, auth=ServiceToken())
    for module, (interface, implementation) in providers.items():
        api.add_router(f"/{module}", _router(interface, implementation))
    return api


def _router(interface: type[Any], implementation: object) -> Router:
    router = Router()
    for method in contract_methods(interface).values():
        router.add_api_operation(
            f"/{method.name}",
            ["POST"],
            _endpoint(method, implementation),
            operation_id=f"{interface.__name__}_{method.name}",
        )
    return router


def _endpoint(method: Method, implementation: object) -> Any:
    def endpoint(request: HttpRequest) -> JsonResponse:
        try:
            kwargs = _arguments(method, request.body)
        except (ValueError, SerializationError, KeyError, TypeError) as error:
            return JsonResponse({"detail": f"bad arguments for {method.name}: {error}"}, status=400)
        try:
            with propagation.restored(request.headers):
                result = getattr(implementation, method.name)(**kwargs)
        except DomainError as error:
            return JsonResponse({"error": error_to_wire(error)}, status=422)
        return JsonResponse({"result": to_data(result)})

    endpoint.__name__ = f"internal_{method.name}"
    return endpoint


def _arguments(method: Method, body: bytes) -> dict[str, Any]:
    call = json.loads(body or b"{}")
    raw = call.get("kwargs", {}) if isinstance(call, dict) else None
    if not isinstance(raw, dict):
        raise TypeError('the body must be a JSON object {"kwargs": {<name>: <value>, ...}}')
    unknown, missing = set(raw) - set(method.parameters), set(method.parameters) - set(raw)
    if unknown or missing:
        raise KeyError(f"unknown arguments {sorted(unknown)}, missing arguments {sorted(missing)}")
    return {name: _argument(name, kind, raw[name]) for name, kind in method.parameters.items()}


def _argument(name: str, kind: Any, value: Any) -> Any:
    try:
        return from_data(kind, value)
    except SerializationError as error:
        raise SerializationError(f"{name}: {error}") from error
