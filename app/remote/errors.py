"""Domain errors on the wire: the class's dotted path plus the values its constructor takes,
so the client raises the very same typed error the provider raised."""

import importlib
import inspect
from typing import Any, get_type_hints

from app.serialization import from_data, to_data
from contracts.kernel.errors import DomainError


def error_to_wire(error: DomainError) -> dict[str, Any]:
    cls = type(error)
    return {
        "type": f"{cls.__module__}.{cls.__qualname__}",
        "code": error.code,
        "message": error.message,
        "fields": {name: to_data(getattr(error, name)) for name in _constructor_fields(cls)},
    }


def error_from_wire(wire: dict[str, Any]) -> DomainError:
    """The typed error, or a plain DomainError carrying the message when the class is unknown
    here (a provider newer than its caller)."""
    cls = _error_class(wire.get("type", ""))
    if cls is None:
        error = DomainError(wire.get("message", "unknown domain error"))
        error.code = wire.get("code", DomainError.code)
        return error
    hints = get_type_hints(cls.__init__)
    fields = wire.get("fields", {})
    return cls(**{name: from_data(hints.get(name, Any), fields[name]) for name in _constructor_fields(cls)})


def _constructor_fields(cls: type[DomainError]) -> list[str]:
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return [p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _error_class(dotted: str) -> type[DomainError] | None:
    module, _, name = dotted.rpartition(".")
    if not module.startswith("contracts."):
        return None  # only contract errors cross the wire; never import arbitrary paths
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
    return cls if isinstance(cls, type) and issubclass(cls, DomainError) else None
