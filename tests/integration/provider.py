"""The fake payment provider as a real process (``scripts/fake_payment_provider.py``) for the
integration tier: started with the test's ``Processes`` on a free loopback port, its ledger kept
in a state file so a stopped or killed provider comes back (same port) with every authorization
it had, as a real provider that was down for a while. Steered and read over its own HTTP API:
``POST /_control`` changes failure rate, latency and decline limit at run time, ``GET
/v1/authorizations`` is what money reconciliation reads.
"""

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.integration.processes import HOST, Process, Processes, free_port, wait_for

READY = "fake payment provider on"


@dataclass
class PaymentProvider:
    processes: Processes
    state_file: Path
    port: int = field(default_factory=free_port)
    process: Process | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, **behaviour: Any) -> "PaymentProvider":
        """Start (or restart) the process; ``behaviour``: initial ``failure_rate``, ``latency``,
        ``decline_over`` (each restart starts healthy unless told otherwise)."""
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "scripts/fake_payment_provider.py", "--port", str(self.port)]
        command += ["--state", str(self.state_file)]
        for name, value in behaviour.items():
            command += [f"--{name.replace('_', '-')}", str(value)]
        self.process = self.processes.start("provider", command, env={"PATH": "/usr/bin:/bin"}, ready_line=READY)
        self.process.wait_ready(timeout=20)
        wait_for(self.healthy, timeout=10, what=f"the payment provider at {self.url}", details=self.process.tail)
        return self

    def kill(self) -> None:
        """SIGKILL: down at once, mid-request if need be (its ledger is on disk after each change)."""
        assert self.process is not None
        self.process.kill()

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def configure(self, **changes: Any) -> dict[str, Any]:
        """``failure_rate``, ``latency`` (seconds), ``decline_over`` (an amount, as a string)."""
        response = httpx.post(f"{self.url}/_control", json=changes, timeout=5)
        assert response.status_code == 200, f"/_control {changes}: {response.status_code} {response.text}"
        answer: dict[str, Any] = response.json()
        return answer

    def healthy_again(self) -> None:
        self.configure(failure_rate=0.0, latency=0.0)

    def requests(self) -> int:
        """API requests the provider received since it (re)started (health and control aside)."""
        return int(httpx.get(f"{self.url}/_control", timeout=5).json()["requests"])

    def authorizations(self, reference: str | None = None) -> list[dict[str, Any]]:
        """Every authorization (or those of one order). Failures and latency apply to this read
        too: call ``healthy_again`` first when the answer must come on the first try."""
        params = {"reference": reference} if reference else None
        response = httpx.get(f"{self.url}/v1/authorizations", params=params, timeout=10)
        assert response.status_code == 200, f"GET /v1/authorizations: {response.status_code} {response.text}"
        found: list[dict[str, Any]] = response.json()["authorizations"]
        return found


def start_provider(processes: Processes, tmp: Path, **behaviour: Any) -> PaymentProvider:
    return PaymentProvider(processes=processes, state_file=tmp / "provider" / "ledger.json").start(**behaviour)
