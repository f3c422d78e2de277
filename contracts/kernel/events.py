"""Domain events and the port modules publish them through.

An event is a frozen, keyword-only dataclass named in the past tense with a version suffix
(``OrderPlacedV1``). ``subject_field`` names the field holding the id of the aggregate the event
is about; it becomes the envelope's CloudEvents ``subject``.
"""

from dataclasses import dataclass
from typing import ClassVar, Protocol

from contracts.kernel.errors import PortNotBoundError


@dataclass(frozen=True, kw_only=True)
class Event:
    subject_field: ClassVar[str] = ""

    @classmethod
    def event_type(cls) -> str:
        """The stable wire name, e.g. ``orders.OrderPlacedV1``: the contract package and class."""
        return f"{cls.__module__.split('.')[1]}.{cls.__qualname__}"

    @classmethod
    def source_module(cls) -> str:
        """The module that owns (and alone may publish) this event."""
        return cls.__module__.split(".")[1]

    def subject(self) -> str:
        return str(getattr(self, self.subject_field)) if self.subject_field else ""


class EventPublisher(Protocol):
    def publish(self, event: Event) -> None: ...


class _PublisherPort:
    """Holds the bus the composition root installed; modules only ever call ``publish``."""

    def __init__(self) -> None:
        self._publisher: EventPublisher | None = None

    def bind(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    def publish(self, event: Event) -> None:
        if self._publisher is None:
            raise PortNotBoundError("no event publisher bound: app.bootstrap has not run")
        self._publisher.publish(event)


publisher = _PublisherPort()


def publish(event: Event) -> None:
    """Publish ``event`` inside the publishing module's transaction (see ``app.events.bus``)."""
    publisher.publish(event)
