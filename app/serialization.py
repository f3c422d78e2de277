"""Contract values <-> JSON-ready data, driven by the dataclasses' own type hints.

One mechanism for everything that crosses a process boundary (outbox rows, Celery messages and
remote contract calls), so a contract's DTOs and events need no hand-written codecs.
Supported: str, int, float, bool, None, Decimal, UUID, datetime, date, tuple[X, ...], list[X],
X | None and nested frozen dataclasses.

Every remote call runs four of these conversions, so the work of reading a type (its origin,
arguments, dataclass fields and hints) is done once per type: ``from_data`` compiles a decoder
per target type and ``to_data`` an encoder per value class, both cached.
"""

import dataclasses
import types
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints
from uuid import UUID

T = TypeVar("T")
_AS_TEXT = (Decimal, UUID)

Codec = Callable[[Any], Any]


class SerializationError(ValueError):
    pass


def to_data(value: Any) -> Any:
    cls: Any = type(value)  # classes are hashable; mypy's view of type[Any] is not
    return _encoder(cls)(value)


def from_data(kind: Any, data: Any) -> Any:
    """Rebuild a value of type ``kind`` from what ``to_data`` produced."""
    try:
        return _decoder_of(kind)(data)
    except (TypeError, ValueError, ArithmeticError, KeyError) as error:
        raise SerializationError(f"cannot read {data!r} as {kind}: {error}") from error


# --- encoding: by the value's class ------------------------------------------------------------


@cache
def _encoder(cls: type) -> Codec:
    if dataclasses.is_dataclass(cls):
        names = tuple(f.name for f in dataclasses.fields(cls))
        return lambda value: {name: to_data(getattr(value, name)) for name in names}
    if issubclass(cls, _AS_TEXT):
        return str
    if issubclass(cls, date):  # datetime is a date too
        return _isoformat
    if issubclass(cls, tuple | list):
        return lambda value: [to_data(item) for item in value]
    return _same


def _isoformat(value: date) -> str:
    return value.isoformat()


def _same(value: Any) -> Any:
    return value


# --- decoding: by the type asked for -----------------------------------------------------------


def _decoder_of(kind: Any) -> Codec:
    try:
        return _decoder(kind)
    except TypeError:  # an unhashable type expression: compiled for this call only
        return _compile(kind)


@cache
def _decoder(kind: Any) -> Codec:
    return _compile(kind)


def _compile(kind: Any) -> Codec:
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        return _optional(kind)
    if origin in (tuple, list):
        return _sequence(origin, get_args(kind)[0])
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _dataclass(kind)
    return _scalar(kind)


def _optional(kind: Any) -> Codec:
    inner = [arg for arg in get_args(kind) if arg is not type(None)]
    if len(inner) != 1:
        message = f"{kind} is not X | None"

        def unsupported(data: Any) -> Any:
            if data is None:
                return None
            raise TypeError(message)

        return unsupported
    decode = _decoder_of(inner[0])
    return lambda data: None if data is None else decode(data)


def _sequence(origin: type, item_kind: Any) -> Codec:
    decode = _decoder_of(item_kind)

    def sequence(data: Any) -> Any:
        if not isinstance(data, list | tuple):  # a string is iterable too, but not a sequence of values
            raise TypeError(f"expected a list, got {type(data).__name__}")
        return origin(decode(item) for item in data)

    return sequence


def _dataclass(kind: type) -> Codec:
    fields: tuple[tuple[str, Codec], ...] | None = None

    def dataclass(data: Any) -> Any:
        nonlocal fields
        if fields is None:  # on first use, when this decoder is cached: a type may refer to itself
            hints = get_type_hints(kind)
            fields = tuple((f.name, _decoder_of(hints[f.name])) for f in dataclasses.fields(kind) if f.init)
        return kind(**{name: decode(data[name]) for name, decode in fields if name in data})

    return dataclass


def _scalar(kind: Any) -> Codec:
    if kind is Any:
        return _same
    if kind is datetime:
        convert: Codec = datetime.fromisoformat
    elif kind is date:
        convert = date.fromisoformat
    elif kind in _AS_TEXT:
        convert = lambda data: kind(str(data))  # noqa: E731
    elif kind in (str, int, float, bool):
        convert = _checked(kind)
    else:
        return _same
    return lambda data: None if data is None else convert(data)


def _checked(kind: type) -> Codec:
    def checked(data: Any) -> Any:
        if not isinstance(data, kind):
            raise TypeError(f"expected {kind.__name__}, got {type(data).__name__}")
        return data

    return checked
