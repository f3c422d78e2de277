"""Context that must survive every hop: who is acting, which trace we are in.

A propagator captures the current context into string headers and restores it from them. The
same propagators run at every boundary: events (captured into the outbox row at publish,
restored around the handler at delivery, in-process or in a Celery worker), remote contract
calls (sent as HTTP headers, restored by the internal endpoint). Identity and tracing each
register one; a boundary never needs to know which exist.

Over HTTP a few carrier names travel under another name (``HTTP_NAMES``): servers drop header
names with an underscore (gunicorn always, nginx by default), so ``correlation_id``, the
envelope attribute events carry, is sent as ``x-correlation-id``, the header the request
middleware reads.
"""

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Protocol


class Propagator(Protocol):
    def capture(self) -> dict[str, str]:
        """The current context as headers (lower-case names), or {} when there is none."""
        ...

    def restore(self, headers: Mapping[str, str]) -> AbstractContextManager[None]:
        """A context manager that makes ``headers``' context current while it is open."""
        ...


# carrier name -> HTTP header name, for the carrier names HTTP servers would drop
HTTP_NAMES = {"correlation_id": "x-correlation-id"}
_CARRIER_NAMES = {http: carrier for carrier, http in HTTP_NAMES.items()}

_propagators: list[Propagator] = []


def register(propagator: Propagator) -> None:
    if propagator not in _propagators:
        _propagators.append(propagator)


def capture() -> dict[str, str]:
    headers: dict[str, str] = {}
    for propagator in _propagators:
        headers.update(propagator.capture())
    return headers


def http_headers() -> dict[str, str]:
    """``capture()`` as HTTP request headers: every name one that servers pass on."""
    return {HTTP_NAMES.get(name, name).lower(): value for name, value in capture().items()}


@contextmanager
def restored(headers: Mapping[str, str]) -> Iterator[None]:
    """Makes the captured context current, from carrier headers or from HTTP request headers."""
    lowered = {name.lower(): value for name, value in headers.items()}
    for http, carrier in _CARRIER_NAMES.items():
        if http in lowered and carrier not in lowered:
            lowered[carrier] = lowered[http]
    with ExitStack() as stack:
        for propagator in _propagators:
            stack.enter_context(propagator.restore(lowered))
        yield
