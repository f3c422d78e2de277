"""The fake payment provider as its own process for a benchmark run: every order's saga
authorizes and captures over real HTTP, as in `make run`."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.environment import ROOT, process_env
from benchmarks.servers import HOST, free_port, process_group, wait_ready

NEVER_DECLINE = "1000000000"  # the benchmarks measure the happy path


@contextmanager
def payment_provider(var_dir: Path, log_path: Path) -> Iterator[str]:
    """Yields the provider's base URL; pass it to servers as PAYMENT_PROVIDER_URL."""
    port = free_port()
    script = str(ROOT / "scripts" / "fake_payment_provider.py")
    command = [sys.executable, script, "--port", str(port), "--quiet", "--decline-over", NEVER_DECLINE]
    with process_group(command, env=process_env(var_dir), log_path=log_path) as process:
        url = f"http://{HOST}:{port}"
        wait_ready(process, f"{url}/v1/health", log_path=log_path)
        yield url
