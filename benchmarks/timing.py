"""Timing: run competing variants interleaved, several repeats, and keep the median."""

import statistics
import timeit
from collections.abc import Callable, Mapping
from typing import Any

# Runs an operation ``n`` times and returns the elapsed seconds (``timeit.Timer.timeit`` is one).
Sampler = Callable[[int], float]


def statement(stmt: str, namespace: Mapping[str, Any]) -> Sampler:
    """A timeit sampler for ``stmt``: no wrapper call is timed along with the statement."""
    return timeit.Timer(stmt, globals=dict(namespace)).timeit


def interleaved(
    samplers: Mapping[str, Sampler],
    *,
    number: int,
    repeat: int,
    warmup: int,
) -> dict[str, list[float]]:
    """Seconds per operation of each variant, one value per repeat.

    Variants take turns within every repeat, and the turn order flips from one repeat to the
    next, so drift (CPU frequency, a growing table, a noisy neighbour) falls on all of them.
    """
    for sample in samplers.values():
        sample(warmup)
    names = list(samplers)
    per_op: dict[str, list[float]] = {name: [] for name in names}
    for index in range(repeat):
        for name in names if index % 2 == 0 else reversed(names):
            per_op[name].append(samplers[name](number) / number)
    return per_op


def scaled(samples: Mapping[str, list[float]], factor: float) -> dict[str, list[float]]:
    """Every sample times ``factor``, rounded: the spread behind a median, for results.json."""
    return {name: [round(v * factor, 3) for v in values] for name, values in samples.items()}


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
