"""The real ``accord node`` as a child process, for the tests that kill it with SIGKILL
(``test_process``, ``test_accounts_process``, ``test_checkpoints_process``,
``test_finality_process``): a node.toml written for the test signers, a launch that
waits for ``/health`` (or fails with the node's stderr), and JSON-RPC and admin calls."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import tomli_w

from accord.node import Signer
from tests.node.conftest import TOKEN

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def write_config(
    tmp_path: Path,
    signers: dict[str, Signer],
    port: int,
    *,
    node: dict[str, Any] | None = None,
    device: dict[str, Any] | None = None,
) -> Path:
    """``tmp_path/node.toml``: seed 1, chain id 7, the signers' keys, 10^18 ETH for alice,
    ``data_dir = "data"`` and the test token, with ``node``/``device`` keys added."""
    config = {
        "seed": 1,
        "node": {"port": port, "data_dir": "data", "admin_token": TOKEN, **(node or {})},
        "device": {"chain_id": 7, **(device or {})},
        "genesis": {
            "public_keys": {n: s.public_key.hex() for n, s in signers.items()},
            "assets": {"ETH": {"issuer": "treasury", "alloc": {"alice": 10**18}}},
        },
    }
    path = tmp_path / "node.toml"
    path.write_text(tomli_w.dumps(config))
    return path


class Running:
    """A started node: its process and its URL."""

    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.url = f"http://127.0.0.1:{port}"

    def rpc(self, method: str, params: Any = None) -> Any:
        """A JSON-RPC call's result, or its error object."""
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method}
        if params is not None:
            body["params"] = params
        answer = httpx.post(self.url + "/", json=body, timeout=10).json()
        return answer.get("result", answer.get("error"))

    def admin(self, what: str, body: Any = None) -> httpx.Response:
        """``POST /admin/<what>`` with the test token (and a JSON body, if given)."""
        return httpx.post(
            f"{self.url}/admin/{what}",
            json=body,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )

    def start_line(self) -> str:
        """The node's first stderr line (where its replay began, and how long it took)."""
        assert self.process.stderr is not None
        return self.process.stderr.readline().decode()

    def kill_9(self) -> None:
        """SIGKILL, and wait for it to be gone."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Kill it if it still runs (a test's ``finally``)."""
        if self.process.poll() is None:
            self.kill_9()


def launch(path: Path, port: int) -> Running:
    """Start ``accord node --config path`` and wait (60 s at most) until ``/health``
    answers; a node that exits first fails the test with its stderr."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "node", "--config", str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    running = Running(process, port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            raise AssertionError(f"node exited: {err}")
        try:
            if httpx.get(running.url + "/health", timeout=1).status_code == 200:
                return running
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    process.wait(timeout=10)
    raise AssertionError("node did not start within 60 s")
