"""The one public API: every module's router mounted under /api/<module>/ on one NinjaAPI."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.openapi.schema import OpenAPISchema

from app.idempotency.openapi import idempotency_key_document
from app.identity.api import router as auth_router
from app.identity.auth import AuthenticationRequiredError, JWTAuth
from app.modules import ModuleSpec, discover_modules
from app.observability.health import health_router
from contracts.kernel.errors import (
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    ServiceUnavailableError,
)

# A domain error's HTTP status; any other DomainError is a 422.
ERROR_STATUS = ((NotFoundError, 404), (PermissionDeniedError, 403), (ConflictError, 409))


class HealthOut(Schema):
    status: str
    modules: list[str]


class PlatformAPI(NinjaAPI):
    """The NinjaAPI whose document also shows what the platform adds to module routes (the
    Idempotency-Key header of app.idempotency's middleware)."""

    module_names: tuple[str, ...] = ()

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        root = (self.get_root_path(path_params or {}) if path_prefix is None else path_prefix).strip("/")
        prefix = f"/{root}/" if root else "/"
        idempotency_key_document(schema, module_paths=tuple(f"{prefix}{name}" for name in self.module_names))
        return schema


def build_api(modules: tuple[ModuleSpec, ...]) -> NinjaAPI:
    api = PlatformAPI(title="Modular monolith", version="1.0.0", description=__doc__ or "", auth=JWTAuth())
    api.module_names = tuple(spec.name for spec in modules)
    api.add_exception_handler(AuthenticationRequiredError, _unauthenticated_handler(api))
    api.add_exception_handler(DomainError, _domain_error_handler(api))
    api.add_exception_handler(ServiceUnavailableError, _unavailable_handler(api))
    _add_health(api, modules)
    api.add_router("/health", health_router())  # /api/health/live, /api/health/ready
    api.add_router("/auth", auth_router)
    for spec in modules:
        api.add_router(f"/{spec.name}", spec.router())
    return api


def _add_health(api: NinjaAPI, modules: tuple[ModuleSpec, ...]) -> None:
    @api.get("/health", response=HealthOut, auth=None, tags=["platform"], summary="Liveness and the modules served")
    def health(request: HttpRequest) -> HealthOut:
        return HealthOut(status="ok", modules=[spec.name for spec in modules])


def _domain_error_handler(api: NinjaAPI):  # type: ignore[no-untyped-def]
    def handle(request: HttpRequest, exc: DomainError) -> HttpResponse:
        status = next((code for kind, code in ERROR_STATUS if isinstance(exc, kind)), 422)
        return api.create_response(request, {"detail": exc.message, "code": exc.code}, status=status)

    return handle


def _unauthenticated_handler(api: NinjaAPI):  # type: ignore[no-untyped-def]
    def handle(request: HttpRequest, exc: AuthenticationRequiredError) -> HttpResponse:
        response = api.create_response(request, {"detail": exc.reason, "code": "not_authenticated"}, status=401)
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response

    return handle


def _unavailable_handler(api: NinjaAPI):  # type: ignore[no-untyped-def]
    def handle(request: HttpRequest, exc: ServiceUnavailableError) -> HttpResponse:
        body = {"detail": f"{exc.target} is unavailable, try again shortly", "code": "dependency_unavailable"}
        response = api.create_response(request, body, status=503)
        response["Retry-After"] = "5"
        return response

    return handle


api = build_api(discover_modules())
