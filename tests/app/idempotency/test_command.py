"""`manage.py idempotency purge`: a line per module database; a one-line reason on failure."""

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from app.bootstrap import runtime
from app.idempotency.models import IdempotencyRecord
from tests.app.idempotency.support import records

ROOT = Path(__file__).resolve().parents[3]


def expired(alias: str, key: str) -> None:
    then = timezone.now() - timedelta(days=2)
    IdempotencyRecord.objects.using(alias).create(
        scope="anonymous", key=key, fingerprint="f" * 64, response_status=200, created_at=then, expires_at=then
    )


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_purge_reports_what_it_removed_per_database() -> None:
    expired("orders", "a")
    expired("orders", "b")
    expired("inventory", "a")
    out = StringIO()

    call_command("idempotency", "purge", stdout=out)

    purged = dict.fromkeys(runtime().aliases, 0) | {"orders": 2, "inventory": 1}
    assert out.getvalue().splitlines() == [
        f"{alias}: purged {purged[alias]} expired idempotency key(s)" for alias in runtime().aliases
    ]
    assert records("orders") == records("inventory") == []


def manage(*args: str, var: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")} | {"VAR_DIR": str(var)}
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_purge_on_unmigrated_databases_fails_with_one_line(tmp_path) -> None:
    (tmp_path / "db").mkdir()

    result = manage("idempotency", "purge", var=tmp_path)

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"CommandError: cannot purge idempotency keys in {runtime().aliases[0]}: "
        "no such table: idempotency_idempotencyrecord"
    ]


def test_an_unknown_action_is_refused(tmp_path) -> None:
    result = manage("idempotency", "forget-everything", var=tmp_path)

    assert result.returncode != 0
    assert "invalid choice: 'forget-everything'" in result.stderr
