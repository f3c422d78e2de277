"""The header is in the public API document on the modules' unsafe operations, and only there."""

from typing import Any

from app.api import api
from app.idempotency.openapi import PARAMETER, idempotency_key_document


def header_parameters(operation: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in operation.get("parameters", []) if p["in"] == "header" and p["name"] == "Idempotency-Key"]


def test_placing_an_order_documents_the_header() -> None:
    paths = api.get_openapi_schema()["paths"]

    assert header_parameters(paths["/api/orders"]["post"]) == [PARAMETER]
    assert header_parameters(paths["/api/orders/{order_id}"]["get"]) == []
    assert header_parameters(paths["/api/auth/token"]["post"]) == []


def test_only_unsafe_operations_under_the_module_paths_get_it_once() -> None:
    shared: dict[str, Any] = {"parameters": []}  # one ninja operation serving POST and PUT is one dict
    schema = {
        "paths": {
            "/api/orders/{id}": {"post": shared, "put": shared, "get": {"parameters": []}},
            "/api/ordersarchive": {"post": {"parameters": []}},
            "/api/auth/token": {"post": {"parameters": []}},
        }
    }

    idempotency_key_document(schema, module_paths=("/api/orders",))

    assert shared["parameters"] == [PARAMETER]
    assert schema["paths"]["/api/orders/{id}"]["get"]["parameters"] == []
    assert schema["paths"]["/api/ordersarchive"]["post"]["parameters"] == []
    assert schema["paths"]["/api/auth/token"]["post"]["parameters"] == []
