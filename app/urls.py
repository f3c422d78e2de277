"""URLs follow the topology: hosted modules are served, the others are proxied (the gateway),
and hosted contracts are exposed to other services under /internal/."""

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, path

from app.api import api
from app.bootstrap import runtime
from app.gateway import proxy_view
from app.observability.metrics import metrics_view
from app.remote.server import URL_PREFIX, internal_api


def _proxied_routes() -> list[URLPattern]:
    current = runtime()
    routes = []
    for module in current.topology.remote_modules():
        service = current.topology.service_of(module)
        view = proxy_view(service=service, target=current.targets.get(service.name), http=current.http)
        routes += [path(f"api/{module}", view), path(f"api/{module}/<path:rest>", view)]
    return routes


def _internal() -> URLResolver:
    providers = {spec.name: (spec.interface(), spec.facade()) for spec in runtime().modules}
    return path(URL_PREFIX, internal_api(providers).urls)


urlpatterns: list[URLPattern | URLResolver] = [
    *_proxied_routes(),  # before api/, so a module hosted elsewhere is never served from here
    path("api/", api.urls),
    path("metrics", metrics_view),
    _internal(),
]
if settings.DEBUG or runtime().topology.hosted:
    urlpatterns.append(path("admin/", admin.site.urls))
