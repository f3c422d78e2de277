"""`python -m benchmarks --quick` runs and reports positive figures. Targets are not checked:
a timing assertion would flake on a busy machine."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    output = tmp_path_factory.mktemp("bench") / "results.json"
    command = [sys.executable, "-m", "benchmarks", "contract", "events", "--quick", "--output", str(output)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(output.read_text())  # type: ignore[no-any-return]


def test_the_quick_run_reports_what_it_ran(results: dict[str, Any]) -> None:
    assert results["meta"]["quick"] is True
    assert set(results["benchmarks"]) == {"contract", "events"}
    assert isinstance(results["all_targets_met"], bool)


@pytest.mark.parametrize("name", ["contract", "events"])
def test_each_figure_has_positive_numbers_and_a_baseline(results: dict[str, Any], name: str) -> None:
    outcome = results["benchmarks"][name]
    assert outcome["error"] is None
    assert outcome["figures"]
    for figure in outcome["figures"]:
        assert {"name", "unit", "value", "baseline", "ratio", "target", "met"} <= set(figure)
        assert figure["value"] > 0
        assert figure["baseline"] > 0
        assert figure["ratio"] > 0


def test_the_event_rate_is_reported_with_its_target(results: dict[str, Any]) -> None:
    (figure,) = results["benchmarks"]["events"]["figures"]
    assert figure["details"]["events_per_s"] > 0
    assert figure["met"] in (True, False)
