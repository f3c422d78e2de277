"""Reading a contract Protocol: its methods, their keyword parameters and types."""

import inspect
from dataclasses import dataclass
from functools import cache
from typing import Any, get_type_hints

from contracts.kernel.markers import is_idempotent


@dataclass(frozen=True)
class Method:
    name: str
    parameters: dict[str, Any]  # keyword-only parameter name -> type
    returns: Any
    idempotent: bool


def contract_methods(interface: type[Any]) -> dict[str, Method]:
    hashable: Any = interface  # classes are hashable; mypy's view of type[Any] is not
    return _methods(hashable)


@cache
def _methods(interface: Any) -> dict[str, Method]:
    return {
        name: _method(name, function)
        for name, function in inspect.getmembers(interface, inspect.isfunction)
        if not name.startswith("_")
    }


def _method(name: str, function: Any) -> Method:
    hints = get_type_hints(function)
    keyword_only = [
        p.name for p in inspect.signature(function).parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    return Method(
        name=name,
        parameters={p: hints[p] for p in keyword_only},
        returns=hints.get("return"),
        idempotent=is_idempotent(function),
    )
