"""Real processes for the integration tier, always cleaned up.

Every process runs in its own session (process group), logs to a file under the test's tmp_path
and is bound to 127.0.0.1. ``Processes`` remembers everything it started and kills every group
at teardown, error or not (a test that wants a graceful stop calls ``Process.stop``). Waits are
bounded and their failures carry the tails of every log, so a red test says what the processes
were doing.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, details: Callable[[], str] = str) -> None:
    """Poll ``condition`` until it holds; after ``timeout`` seconds fail with ``details()``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}\n{details()}")
        time.sleep(0.2)


@dataclass
class Process:
    name: str
    popen: "subprocess.Popen[bytes]"
    log_path: Path
    ready_line: str = ""  # what the process logs once it is ready, if anything

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, lines: int = 40, *, width: int = 400) -> str:
        return "\n".join(line[:width] for line in self.log().splitlines()[-lines:])

    def wait_ready(self, *, timeout: float = 60) -> None:
        if self.ready_line:
            self.wait_for_log(self.ready_line, timeout=timeout)

    def wait_for_log(self, text: str, *, timeout: float = 30) -> None:
        def seen() -> bool:
            if text in self.log():
                return True
            if not self.alive():
                raise AssertionError(f"{self.name} exited with {self.popen.returncode}:\n{self.tail()}")
            return False

        wait_for(seen, timeout=timeout, what=f"{text!r} in {self.name}'s log", details=self.tail)

    def children(self) -> list[int]:
        """Direct children (e.g. a Celery prefork worker's pool processes)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with suppress(OSError):
                # "pid (comm) state ppid ...": comm may contain spaces, so split after its ")".
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.pid:
                    found.append(int(stat.parent.name))
        return found

    def kill(self) -> None:
        """SIGKILL the whole process group: no handler, no cleanup, no goodbye to the broker."""
        _signal_group(self.pid, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self, *, grace: float = 10) -> int:
        """SIGTERM the group (a graceful shutdown), SIGKILL what is left after ``grace`` seconds."""
        if self.alive():
            _signal_group(self.pid, signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.popen.wait(grace)
        _signal_group(self.pid, signal.SIGKILL)  # also reaps pool children that outlived their parent
        return self.popen.wait(10)


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


@dataclass
class Processes:
    """The processes of one test: started with logs in ``logs``, all stopped by ``stop_all``."""

    logs: Path
    started: list[Process] = field(default_factory=list)

    def start(self, name: str, command: list[str], *, env: Mapping[str, str], ready_line: str = "") -> Process:
        self.logs.mkdir(parents=True, exist_ok=True)
        log_path = self.logs / f"{name}.{sum(p.name == name for p in self.started) + 1}.log"
        with log_path.open("ab") as log:
            popen = subprocess.Popen(
                command, cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        process = Process(name=name, popen=popen, log_path=log_path, ready_line=ready_line)
        self.started.append(process)
        return process

    def wait_ready(self) -> None:
        """Wait for every process started so far to be ready (they start in parallel)."""
        for process in self.started:
            if process.alive():
                process.wait_ready()

    def stop_all(self) -> None:
        """SIGKILL whatever is left: a test's verdict is in, nothing needs a graceful exit."""
        for process in reversed(self.started):
            with suppress(Exception):
                process.kill()

    def report(self, lines: int = 25) -> str:
        """The tail of every log, for assertion messages."""
        return "\n".join(f"--- {p.log_path.name} (pid {p.pid}):\n{p.tail(lines)}" for p in self.started)


def drop_databases(server: str, prefix: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        names = [r[0] for r in admin.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{prefix}%"])]
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Redis: our own server per test, so killing it or losing its data touches nobody else.


def redis_binary_path() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        require("redis-server", "no redis-server binary on PATH (apt-get install redis-server)")
    assert binary is not None
    return binary


def require(service: str, reason: str) -> None:
    """Skip with the reason; under CI=true fail instead: CI must never go green by skipping."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{service} is required under CI=true: {reason}")
    pytest.skip(f"{service} unavailable: {reason}")


@dataclass
class RedisServer:
    """A throwaway redis-server that keeps nothing on disk: a restart loses every queued message."""

    processes: Processes
    binary: str
    port: int = field(default_factory=free_port)
    process: Process | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://{HOST}:{self.port}/{db}"

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no"]
        self.process = self.processes.start("redis", [*command, "--daemonize", "no"], env=os.environ)
        wait_for(self.ping, timeout=10, what=f"redis on port {self.port}", details=self.process.tail)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()

    def ping(self) -> bool:
        try:
            return bool(redis.Redis(host=HOST, port=self.port, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def client(self) -> redis.Redis:
        return redis.Redis(host=HOST, port=self.port, socket_timeout=5)


# The application's own processes.


def celery_worker(
    processes: Processes,
    env: Mapping[str, str],
    *,
    name: str,
    queues: tuple[str, ...],
    concurrency: int = 1,
    wait: bool = True,
) -> Process:
    """``celery -A app worker -Q <queues>`` with the prefork pool: the task runs in a pool child,
    so SIGKILL on the child is a worker lost mid-task (requeued at once by the parent, as
    ``task_reject_on_worker_lost`` asks), and SIGKILL on the group is a crashed host (the message
    waits in Redis' unacked set for the visibility timeout)."""
    command = [sys.executable, "-m", "celery", "-A", "app", "worker", "--pool", "prefork", "-c", str(concurrency)]
    command += ["-Q", ",".join(queues), "-n", f"{name}@%h", "--loglevel", "INFO"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    worker = processes.start(name, command, env={**env, "PGAPPNAME": name}, ready_line=" ready.")
    if wait:
        worker.wait_ready()
    return worker


def relay(processes: Processes, env: Mapping[str, str], *, name: str = "relay", wait: bool = True) -> Process:
    """``manage.py relay``; PGAPPNAME names its database sessions (see the claim audit)."""
    command = [sys.executable, "manage.py", "relay"]
    process = processes.start(name, command, env={**env, "PGAPPNAME": name}, ready_line="relay: delivering from")
    if wait:
        process.wait_ready()
    return process


def gunicorn(processes: Processes, env: Mapping[str, str], *, workers: int = 2, threads: int = 0) -> str:
    """The app under gunicorn on a free loopback port (sync workers, or ``threads`` threads per
    worker with the gthread class); its base URL once healthy."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "app.wsgi", "--bind", f"{HOST}:{port}"]
    command += ["--workers", str(workers), "--timeout", "30"]
    if threads:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    process = processes.start("gunicorn", command, env=env)
    base = f"http://{HOST}:{port}"
    wait_for(lambda: _healthy(base, process), timeout=20, what=f"{base} healthy", details=process.tail)
    return base


def _healthy(base: str, process: Process) -> bool:
    if not process.alive():
        raise AssertionError(f"gunicorn exited with {process.popen.returncode}:\n{process.tail()}")
    try:
        return httpx.get(f"{base}/api/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False
