"""The benchmark's own event. ``Event.source_module()`` reads the second component of the
class's module path, so this event's source module is ``events``: the benchmark maps it to the
``orders`` database alias (a scratch copy), as if orders had published it."""

from dataclasses import dataclass
from typing import ClassVar

from contracts.kernel.events import Event


@dataclass(frozen=True, kw_only=True)
class ProbeRecordedV1(Event):
    subject_field: ClassVar[str] = "probe"
    probe: int
