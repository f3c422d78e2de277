"""The port through which a module reaches another module's interface.

Modules never import each other: they ask the registry for an implementation of a contract
``Protocol``. The composition root decides what that implementation is (the provider's facade
in-process, or a remote client once the provider runs as its own service).
"""

from typing import Any, TypeVar, cast

from contracts.kernel.errors import PortNotBoundError

T = TypeVar("T")


class Registry:
    def __init__(self) -> None:
        self._bindings: dict[type[Any], object] = {}

    def bind(self, interface: type[T], implementation: T) -> None:
        self._bindings[interface] = implementation

    def resolve(self, interface: type[T]) -> T:
        try:
            return cast(T, self._bindings[interface])
        except KeyError:
            raise PortNotBoundError(f"no implementation bound for {interface.__qualname__}") from None

    def bound_interfaces(self) -> tuple[type[Any], ...]:
        return tuple(self._bindings)

    def clear(self) -> None:
        self._bindings.clear()


registry = Registry()
