"""The module, app, end-to-end and observability tiers once more, on PostgreSQL instead of SQLite.

Same tests, other engine: row locking, transactions and on_commit behave differently enough on
the two that passing on one proves little about the other.
"""

import os
import subprocess
import sys
import uuid

import pytest

from tests.integration.conftest import ROOT, drop_databases

pytestmark = pytest.mark.integration


def test_the_in_process_tiers_pass_on_postgres(postgres_server) -> None:
    database = f"mm_suite_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": f"{postgres_server}/{database}"}
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/app",
                "tests/modules",
                "tests/e2e",
                "tests/observability",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        drop_databases(postgres_server, f"test_{database}")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
