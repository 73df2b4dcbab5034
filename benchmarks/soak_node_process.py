"""The node under ``soak_node.py``: its config, its process, and the replays that judge it.

* :func:`node_config` is the soak's ``node.toml``: a loopback port, an admin token,
  ``block_time_ms`` 1,000 (3,600 blocks are an hour of device time), limits far above
  the load (the soak tests durability, not the rate limits), accounts open to anyone.
* :class:`NodeProcess` is the real ``accord node`` command: spawned, waited for on
  ``/health`` (never a fixed sleep), killed with SIGKILL, shut down through
  ``/admin/shutdown``. The node prints how long opening its ``data_dir`` took
  (``(opened in X s)``: the replay of ``chain.db`` and the journal on a restart).
* :func:`replay_in_fresh_processes` replays ``chain.db`` twice, each in a new process:
  ``accord replay`` (whose last line is the head state hash) and :func:`check_log`
  (the device's replay API, then :func:`accord.device.checks.conservation` and
  :func:`~accord.device.checks.no_negative_balances`, each asset's supply and the base
  fees burned, ``fee_paid - tip_paid`` summed over every receipt: EIP-1559 burns the base
  fee and pays the tip to the builder).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from accord.node.signing import Signer

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "soak-admin-token-0123456789abcdef"
CHAIN_ID = 7
ETH0 = 10**18
USD0 = 10**9
ASSETS = ("ETH", "USD")
OPENED = re.compile(r"\(opened in ([0-9.]+) s\)")


class SoakFailure(AssertionError):
    """Something acknowledged was lost, or the node misbehaved (the message says what)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def node_config(signers: dict[str, Signer], seed: int, port: int) -> dict[str, Any]:
    """The soak's node.toml as a dict (module docstring); blocks on demand."""
    fast = {"ip_rate": 1e6, "ip_burst": 10**6}
    return {
        "seed": seed,
        "node": {
            "port": port,
            "data_dir": "data",
            "admin_token": TOKEN,
            "block_interval_ms": 0,
            "limits": {**fast, "key_rate": 1e6, "key_burst": 10**6, "max_batch": 1_000},
            "accounts": {**fast, "open": "open", "max_accounts": 10**6},
        },
        "device": {"chain_id": CHAIN_ID, "block_time_ms": 1_000},
        "genesis": {
            "public_keys": {n: s.public_key.hex() for n, s in signers.items()},
            "assets": {
                "ETH": {"issuer": "treasury", "alloc": dict.fromkeys(signers, ETH0)},
                "USD": {"issuer": "fed", "alloc": dict.fromkeys(signers, USD0)},
            },
        },
    }


class NodeProcess:
    """The real ``accord node`` (module docstring)."""

    def __init__(self, folder: Path, config: dict[str, Any]) -> None:
        self.folder = folder
        self.config = config
        self.path = folder / "node.toml"
        self.url = f"http://127.0.0.1:{config['node']['port']}"
        self.log = folder / "node.log"
        self.chain = folder / "data" / "chain.db"
        self.process: subprocess.Popen[bytes] | None = None

    def configure(self, block_interval_ms: int) -> None:
        """Write node.toml with this block timer (0: blocks only on demand; then
        ``empty_blocks``, so that the timer seals one every interval). The ``[node]``
        table is not in the chain log: a restart may change it."""
        import tomli_w

        section = self.config["node"]
        section["block_interval_ms"] = block_interval_ms
        section["empty_blocks"] = block_interval_ms > 0
        self.path.write_text(tomli_w.dumps(self.config))

    def spawn(self) -> float:
        """Start the command; returns when it was started (``perf_counter``)."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        began = time.perf_counter()
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "accord.cli", "node", "--config", str(self.path)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        return began

    def health(self, timeout: float = 2.0) -> int | None:
        """The head ``/health`` answers, or None if nothing answers."""
        try:
            answer = httpx.get(self.url + "/health", timeout=timeout)
        except httpx.HTTPError:
            return None
        return int(answer.json()["number"]) if answer.status_code == 200 else None

    def wait_health(self, began: float, timeout: float = 300.0) -> tuple[float, int]:
        """Poll ``/health`` until it answers: (seconds since ``began``, head)."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SoakFailure(f"the node exited ({self.process.returncode}): {self.tail()}")
            head = self.health()
            if head is not None:
                return time.perf_counter() - began, head
            time.sleep(0.02)  # not listening yet: poll /health again
        raise SoakFailure(f"the node did not answer /health within {timeout:g} s")

    def start(self) -> tuple[float, int]:
        return self.wait_health(self.spawn())

    def opened_s(self) -> float:
        """What the node's last start said opening ``data_dir`` took."""
        found = OPENED.findall(self.log.read_text(errors="replace"))
        if not found:
            raise SoakFailure(f"the node did not say how long it took to open: {self.tail()}")
        return float(found[-1])

    def wait_open(self, path: Path, timeout: float = 300.0) -> bool:
        """Poll until the process holds ``path`` open (Linux's ``/proc/PID/fd``); False
        where there is no ``/proc``, or if it answers ``/health`` or exits first."""
        assert self.process is not None
        fds = Path(f"/proc/{self.process.pid}/fd")
        if not fds.parent.exists():
            return False
        target = str(path.resolve())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            with contextlib.suppress(OSError):  # a descriptor closed while listed
                if any(os.readlink(fd) == target for fd in fds.iterdir()):
                    return True
            if self.health(timeout=0.05) is not None:
                return False
            time.sleep(0.002)  # poll the process's open files
        return False

    def opened_count(self) -> int:
        """How many times the node has said it opened ``data_dir``."""
        return len(OPENED.findall(self.log.read_text(errors="replace")))

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def shutdown(self) -> None:
        assert self.process is not None
        headers = {"Authorization": f"Bearer {TOKEN}"}
        httpx.post(self.url + "/admin/shutdown", headers=headers, timeout=30)
        code = self.process.wait(timeout=60)
        if code != 0:
            raise SoakFailure(f"the node exited with {code} on shutdown: {self.tail()}")

    def stop(self) -> None:
        """Kill it if it still runs (the soak's cleanup)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def tail(self) -> str:
        return " | ".join(self.log.read_text(errors="replace").splitlines()[-5:])


def _run(*args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env=env, check=False
    )
    if done.returncode != 0:
        raise SoakFailure(f"{' '.join(args[:3])} failed: {done.stderr.strip()[-300:]}")
    return done.stdout.strip().splitlines()[-1]


def replay_in_fresh_processes(chain: Path, accounts: int) -> dict[str, Any]:
    """Replay ``chain`` with ``accord replay`` and with :func:`check_log`, each in a new
    process; their state hashes must agree, and the supply must be the genesis supply of
    ``accounts`` funded accounts less the fees burned."""
    began = time.perf_counter()
    state = _run("-m", "accord.cli", "replay", str(chain))
    seconds = time.perf_counter() - began
    report: dict[str, Any] = json.loads(_run("-m", "benchmarks.soak_node_process", str(chain)))
    failures = list(report["failures"])
    if report["state_hash"] != state:
        failures.append(f"two replays differ: {report['state_hash'][:16]} vs {state[:16]}")
    expected = {"ETH": ETH0 * accounts - report["burned"], "USD": USD0 * accounts}
    if report["supply"] != expected:
        failures.append(f"supply {report['supply']} != genesis less burned {expected}")
    return {**report, "state_hash": state, "seconds": round(seconds, 3), "failures": failures}


def check_log(path: str) -> dict[str, Any]:
    """Replay a chain log in this process and check conservation (module docstring)."""
    from accord.device import checks, replay

    device = replay(path)
    failures = []
    for check in (checks.conservation, checks.no_negative_balances):
        try:
            check(device)
        except checks.InvariantViolation as exc:
            failures.append(str(exc))
    burned = sum(r.fee_paid - r.tip_paid for b in device.blocks for r in b.receipts)
    return {
        "number": device.number,
        "state_hash": device.state_hash().hex(),
        "supply": {a: device.supply(a) for a in ASSETS},
        "burned": burned,
        "failures": failures,
    }


if __name__ == "__main__":
    print(json.dumps(check_log(sys.argv[1])))
