"""A scratch project to scaffold into, so that no test can write into the real working tree."""

from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from tests.scaffold.support import make_project


@pytest.fixture
def project(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch project that ``startmodule`` (run in this process) writes into."""
    root = make_project(tmp_path / "project")
    settings.BASE_DIR = root
    monkeypatch.delenv("TOPOLOGY_FILE", raising=False)  # its topology.toml, if any, is the one read
    monkeypatch.delenv("SERVICE", raising=False)
    return root
