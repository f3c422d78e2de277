"""Contract values <-> JSON-ready data, driven by the dataclasses' own type hints.

One mechanism for everything that crosses a process boundary (outbox rows, Celery messages and,
later, remote contract calls), so a contract's DTOs and events need no hand-written codecs.
Supported: str, int, float, bool, None, Decimal, UUID, datetime, date, tuple[X, ...], list[X],
X | None and nested frozen dataclasses.
"""

import dataclasses
import types
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints
from uuid import UUID

T = TypeVar("T")
_AS_TEXT = (Decimal, UUID)


class SerializationError(ValueError):
    pass


def to_data(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, _AS_TEXT):
        return str(value)
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [to_data(item) for item in value]
    return value


def from_data(kind: Any, data: Any) -> Any:
    """Rebuild a value of type ``kind`` from what ``to_data`` produced."""
    try:
        return _decode(kind, data)
    except (TypeError, ValueError, ArithmeticError, KeyError) as error:
        raise SerializationError(f"cannot read {data!r} as {kind}: {error}") from error


def _decode(kind: Any, data: Any) -> Any:
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        return _decode_optional(kind, data)
    if origin in (tuple, list):
        if not isinstance(data, list | tuple):  # a string is iterable too, but not a sequence of values
            raise TypeError(f"expected a list, got {type(data).__name__}")
        return origin(_decode(get_args(kind)[0], item) for item in data)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = _field_types(kind)
        return kind(**{name: _decode(hints[name], data[name]) for name in hints if name in data})
    return _decode_scalar(kind, data)


def _decode_optional(kind: Any, data: Any) -> Any:
    if data is None:
        return None
    (inner,) = (arg for arg in get_args(kind) if arg is not type(None))
    return _decode(inner, data)


def _decode_scalar(kind: Any, data: Any) -> Any:
    if kind is Any or data is None:
        return data
    if kind is datetime:
        return datetime.fromisoformat(data)
    if kind is date:
        return date.fromisoformat(data)
    if kind in (Decimal, UUID):
        return kind(str(data))
    if kind in (str, int, float, bool) and not isinstance(data, kind):
        raise TypeError(f"expected {kind.__name__}, got {type(data).__name__}")
    return data


@cache
def _field_types(kind: type) -> dict[str, Any]:
    hints = get_type_hints(kind)
    return {f.name: hints[f.name] for f in dataclasses.fields(kind) if f.init}
