"""Markers on contract methods, read by the remote binding."""

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])


def idempotent(method: F) -> F:
    """Calling this method twice with the same arguments has the effect of calling it once, so a
    remote call that timed out may be retried."""
    method.__idempotent__ = True  # type: ignore[attr-defined]
    return method


def is_idempotent(method: Callable[..., object]) -> bool:
    return bool(getattr(method, "__idempotent__", False))
