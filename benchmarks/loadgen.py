"""Load generators, bounded in time: ``wrk`` when it is on PATH, else a Python one.

The Python generator runs ``PYTHON_CONNECTIONS`` processes (``python -m benchmarks.loadgen``),
each with one persistent ``http.client`` connection (reopened whenever the server closes it),
all starting at the same instant and stopping at the same deadline.
"""

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import AbstractContextManager, ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.servers import process_group
from benchmarks.timing import percentile

WRK_THREADS, WRK_CONNECTIONS = 2, 16
PYTHON_CONNECTIONS = 4

WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = io.open(os.getenv("BENCH_BODY_FILE")):read("*a")
local authorization = os.getenv("BENCH_AUTHORIZATION") or ""
if authorization ~= "" then wrk.headers["Authorization"] = authorization end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local non2xx, e = 0, summary.errors
  for _, thread in ipairs(threads) do non2xx = non2xx + thread:get("non2xx") end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "seconds": %f, "non_2xx": %d, "errors": %d, ' ..
    '"p50_ms": %f, "p99_ms": %f}\\n',
    summary.requests, summary.duration / 1e6, non2xx, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end
"""


@dataclass(frozen=True, kw_only=True)
class LoadResult:
    tool: str
    requests: int
    seconds: float
    non_2xx: int
    errors: int  # connection errors and timeouts: no response at all
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def pick_tool(preference: str) -> str:
    if preference == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if preference == "wrk" and not shutil.which("wrk"):
        raise RuntimeError("wrk is not on PATH (apt-get install -y wrk), or use --loadgen python")
    return preference


def post_load(url: str, body_file: Path, *, seconds: float, tool: str, authorization: str = "") -> LoadResult:
    """POST the JSON in ``body_file`` to ``url`` for ``seconds`` (with an Authorization header
    when ``authorization`` is given)."""
    env = {**os.environ, "BENCH_BODY_FILE": str(body_file), "BENCH_AUTHORIZATION": authorization}
    if tool == "wrk":
        return _wrk(url, body_file, seconds=seconds, env=env)
    return _python(url, body_file, seconds=seconds, env=env)


def _wrk(url: str, body_file: Path, *, seconds: float, env: dict[str, str]) -> LoadResult:
    script = body_file.with_suffix(".lua")
    script.write_text(WRK_SCRIPT)
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{max(1, round(seconds))}s"]
    command += ["--timeout", "5s", "-s", str(script), url]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 30, check=False)
    for line in done.stdout.splitlines():
        if done.returncode == 0 and line.startswith("BENCH_JSON "):
            return LoadResult(tool="wrk", **json.loads(line.removeprefix("BENCH_JSON ")))
    raise RuntimeError(f"wrk exited with {done.returncode}:\n{done.stdout}\n{done.stderr}")


def _python(url: str, body_file: Path, *, seconds: float, env: dict[str, str]) -> LoadResult:
    start = time.time() + 1.0  # every worker has imported and connected by then
    outputs = [body_file.with_name(f"{body_file.stem}.tally{i}.json") for i in range(PYTHON_CONNECTIONS)]
    with ExitStack() as stack:
        workers = [stack.enter_context(_spawn(url, body_file, start, seconds, out, env)) for out in outputs]
        for process in workers:
            if process.wait(timeout=seconds + 30) != 0:
                raise RuntimeError(f"a load worker failed, see {body_file.parent}/*.log")
    return _merge([Tally(**json.loads(out.read_text())) for out in outputs], seconds=seconds)


def _spawn(
    url: str, body_file: Path, start: float, seconds: float, out: Path, env: dict[str, str]
) -> AbstractContextManager["subprocess.Popen[bytes]"]:
    command = [sys.executable, "-m", "benchmarks.loadgen", url, str(body_file), str(start), str(seconds)]
    return process_group([*command, str(out)], env=env, log_path=out.with_suffix(".log"))


@dataclass(kw_only=True)
class Tally:
    requests: int = 0
    non_2xx: int = 0
    errors: int = 0
    latencies_ms: list[float]


def _merge(tallies: list[Tally], *, seconds: float) -> LoadResult:
    latencies = [ms for tally in tallies for ms in tally.latencies_ms] or [0.0]
    return LoadResult(
        tool="python",
        requests=sum(t.requests for t in tallies),
        seconds=seconds,
        non_2xx=sum(t.non_2xx for t in tallies),
        errors=sum(t.errors for t in tallies),
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
    )


def worker(url: str, body: bytes, *, start: float, seconds: float) -> Tally:
    """One connection posting ``body`` back to back from ``start`` for ``seconds``."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
    headers = {"Content-Type": "application/json"}
    if os.environ.get("BENCH_AUTHORIZATION"):
        headers["Authorization"] = os.environ["BENCH_AUTHORIZATION"]
    tally = Tally(latencies_ms=[])
    time.sleep(max(0.0, start - time.time()))
    deadline = time.perf_counter() + seconds
    while (began := time.perf_counter()) < deadline:
        try:
            connection.request("POST", parts.path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            tally.errors += 1
            connection.close()
            time.sleep(0.01)  # a server that is gone is not hammered in a tight loop
            continue
        tally.requests += 1
        tally.non_2xx += not 200 <= response.status < 300
        tally.latencies_ms.append((time.perf_counter() - began) * 1e3)
    return tally


def _main() -> None:
    parser = argparse.ArgumentParser(description="one load worker (used by benchmarks.loadgen)")
    for name in ("url", "body_file", "start", "seconds", "out"):
        parser.add_argument(name)
    args = parser.parse_args()
    body = Path(args.body_file).read_bytes()
    tally = worker(args.url, body, start=float(args.start), seconds=float(args.seconds))
    Path(args.out).write_text(json.dumps(asdict(tally)))


if __name__ == "__main__":
    _main()
