"""Where a run happens: a scratch directory, its environment, and Django set up on it."""

import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
RESULTS_PATH = BENCH_DIR / "results.json"

# Production-like settings for every process of a run: DEBUG off (DEBUG records every query),
# mail to a dummy backend, no INFO logs on the console.
RUN_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "benchmark-only-not-a-secret",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    "LOG_LEVEL": "WARNING",
    "SERVICE": "monolith",
    "JWT_ACCESS_TTL": "3600",  # outlives the run when the API asks for a bearer token
    "JWT_GENERATE_DEV_KEY": "1",  # a throwaway signing key under the scratch VAR_DIR
}


@dataclass(frozen=True, kw_only=True)
class Config:
    quick: bool
    var_dir: Path
    loadgen: str = "auto"  # "auto" (wrk when on PATH), "wrk" or "python"


def process_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment on ``var_dir``, SQLite only (any *DATABASE_URL is dropped)."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    return {**env, **RUN_ENV, "VAR_DIR": str(var_dir), **extra}


@contextmanager
def scratch_dir() -> Iterator[Path]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="scratch-", dir=BENCH_DIR))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def django_setup(var_dir: Path) -> None:
    """Set Django up in this process on ``var_dir``: migrated, with the demo catalogue loaded."""
    import django
    from django.core.management import call_command

    os.environ.clear()
    os.environ.update(process_env(var_dir, DJANGO_SETTINGS_MODULE="benchmarks.settings"))
    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_demo_data", stdout=io.StringIO())
