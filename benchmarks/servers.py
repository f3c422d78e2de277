"""Child processes that are always stopped: servers and load generators, each in its own
process group, which is terminated (then killed) when the ``with`` block ends, error or not."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

from benchmarks.environment import ROOT

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def process_group(
    command: list[str],
    *,
    env: Mapping[str, str],
    log_path: Path,
) -> Iterator["subprocess.Popen[bytes]"]:
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, env=dict(env), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        stop(process)


def stop(process: "subprocess.Popen[bytes]", *, grace: float = 10) -> None:
    """SIGTERM the process group, SIGKILL whatever is left after ``grace`` seconds."""
    _signal_group(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(grace)
    _signal_group(process.pid, signal.SIGKILL)
    process.wait()


def terminate(process: "subprocess.Popen[bytes]") -> None:
    """SIGTERM the process group without waiting: several stop at once, then ``stop`` reaps each."""
    _signal_group(process.pid, signal.SIGTERM)


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pgid, signum)


@contextmanager
def gunicorn(
    *,
    wsgi: str,
    env: Mapping[str, str],
    log_path: Path,
    ready_path: str,
    workers: int = 2,
    port: int = 0,
    threads: int = 0,
    keepalive: int = 0,
) -> Iterator[str]:
    """Serve ``wsgi`` with ``workers`` workers on loopback (``port``, else a free one); yields the
    base URL. Sync workers by default, which close the connection after every response;
    ``threads`` > 0 runs gthread workers instead, which keep connections alive between requests
    for ``keepalive`` seconds (gunicorn's default: 2)."""
    port = port or free_port()
    command = [sys.executable, "-m", "gunicorn", wsgi, "--workers", str(workers)]
    if threads:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
        command += ["--keep-alive", str(keepalive)] if keepalive else []
    else:
        command += ["--worker-class", "sync"]
    command += ["--bind", f"{HOST}:{port}", "--log-level", "warning"]
    with process_group(command, env=env, log_path=log_path) as process:
        base_url = f"http://{HOST}:{port}"
        wait_ready(process, base_url + ready_path, log_path=log_path)
        try:
            yield base_url
        except Exception:
            state = "running" if process.poll() is None else f"exited with {process.returncode}"
            print(f"{wsgi} ({state}), end of {log_path.name}:\n{tail(log_path)}", file=sys.stderr)
            raise


def wait_ready(process: "subprocess.Popen[bytes]", url: str, *, log_path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{tail(log_path)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {timeout} s:\n{tail(log_path)}")


def wait_for_log(process: "subprocess.Popen[bytes]", log_path: Path, text: str, *, timeout: float = 30) -> None:
    """Until ``text`` appears in the process's log; fails if it exits or ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while text not in log_path.read_text(errors="replace"):
        if process.poll() is not None:
            raise RuntimeError(f"{log_path.stem} exited with {process.returncode}:\n{tail(log_path)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{text!r} not in {log_path.name} after {timeout} s:\n{tail(log_path)}")
        time.sleep(0.05)


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
