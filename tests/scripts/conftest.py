from pathlib import Path

import pytest

from tests.scripts.support import copy_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the project to run scripts/extract_module.py in."""
    return copy_project(tmp_path / "project")
