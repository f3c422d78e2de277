"""Figures, the table printed at the end of a run, and results.json."""

import json
import os
import platform
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RATIO_MEANING = "cost ratio: how many times the baseline's time per operation (>1 = slower)"


@dataclass(frozen=True, kw_only=True)
class Figure:
    """One measurement next to its bare baseline, both from the same run."""

    name: str
    unit: str
    value: float
    baseline: float
    lower_is_better: bool
    target: str = ""
    met: bool | None = None  # None: reported for information, no target
    details: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def ratio(self) -> float:
        if self.lower_is_better:
            return self.value / self.baseline
        return self.baseline / self.value

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "value": self.value,
            "baseline": self.baseline,
            "ratio": self.ratio,
            "target": self.target or None,
            "met": self.met,
            "details": self.details,
            "notes": list(self.notes),
        }


@dataclass(frozen=True, kw_only=True)
class Outcome:
    title: str
    figures: tuple[Figure, ...] = ()
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "figures": [f.as_dict() for f in self.figures], "error": self.error}


def number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def verdict(figure: Figure) -> str:
    return "info" if figure.met is None else ("met" if figure.met else "NOT MET")


def table(outcomes: dict[str, Outcome]) -> str:
    header = ("benchmark", "figure", "measured", "baseline", "ratio", "target", "result")
    rows: list[tuple[str, ...]] = [header]
    notes: list[str] = []
    for name, outcome in outcomes.items():
        if outcome.error:
            rows.append((name, outcome.title, "ERROR", "", "", "", ""))
            notes.append(f"{name}: {outcome.error}")
        for figure in outcome.figures:
            rows.append(_row(name, figure))
            notes.extend(f"{name}: {note}" for note in figure.notes)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join([*lines, "", f"ratio = {RATIO_MEANING}", *notes])


def _row(name: str, figure: Figure) -> tuple[str, ...]:
    return (
        name,
        figure.name,
        f"{number(figure.value)} {figure.unit}",
        f"{number(figure.baseline)} {figure.unit}",
        f"{figure.ratio:.2f}x",
        figure.target or "-",
        verdict(figure),
    )


def write_json(path: Path, outcomes: dict[str, Outcome], *, quick: bool, extra: dict[str, Any]) -> None:
    document = {
        "meta": _meta(quick=quick, extra=extra),
        "ratio_meaning": RATIO_MEANING,
        "benchmarks": {name: outcome.as_dict() for name, outcome in outcomes.items()},
        "all_targets_met": all_met(outcomes),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")


def all_met(outcomes: dict[str, Outcome]) -> bool:
    figures = [f for o in outcomes.values() for f in o.figures]
    return not any(o.error for o in outcomes.values()) and all(f.met is not False for f in figures)


def _meta(*, quick: bool, extra: dict[str, Any]) -> dict[str, Any]:
    import django
    import ninja

    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "ninja": ninja.__version__,
        "platform": platform.platform(),
        "cpus": _cpu_count(),
        **extra,
    }


def _cpu_count() -> int | None:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
