"""The real ``accord node`` with checkpoints every 2 blocks and 2 blocks in memory,
killed with SIGKILL: the restart starts from the newest checkpoint, loses no sealed
block or acknowledged transaction, and answers old blocks as before the kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import tomli_w

from tests.node.conftest import TOKEN, make_signers
from tests.node.test_process import ROOT, Running, _free_port


def _launch(path: Path, port: int) -> tuple[Running, str]:
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
            raise AssertionError(f"node exited: {process.stderr.read().decode()}")  # type: ignore[union-attr]
        try:
            if httpx.get(running.url + "/health", timeout=1).status_code == 200:
                assert process.stderr is not None
                return running, process.stderr.readline().decode()
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("node did not start within 60 s")


def test_kill_9_then_a_restart_from_the_checkpoint(tmp_path: Path) -> None:
    signers = make_signers()
    port = _free_port()
    config = {
        "seed": 1,
        "node": {
            "port": port,
            "data_dir": "data",
            "admin_token": TOKEN,
            "history": 2,
            "checkpoint_every": 2,
        },
        "device": {"chain_id": 7},
        "genesis": {
            "public_keys": {n: s.public_key.hex() for n, s in signers.items()},
            "assets": {"ETH": {"issuer": "treasury", "alloc": {"alice": 10**18}}},
        },
    }
    path = tmp_path / "node.toml"
    path.write_text(tomli_w.dumps(config))
    alice = signers["alice"]
    node, line = _launch(path, port)
    processes = [node.process]
    try:
        assert "replayed from genesis" in line
        sealed: list[dict[str, Any]] = []
        for nonce in range(5):
            tx = alice.transfer(nonce, "bob", {"ETH": nonce + 1}, max_fee=3_000)
            assert node.rpc("accord_sendTransaction", {"transaction": tx}) == tx["hash"]
            assert node.admin("block").json()["transactions"] == [tx["hash"]]
            sealed.append(tx)
        acked = alice.transfer(5, "carol", {"ETH": 22}, max_fee=3_000)
        assert node.rpc("accord_sendTransaction", {"transaction": acked}) == acked["hash"]
        before = [node.rpc("accord_getBlock", {"number": n, "full": True}) for n in range(6)]
        receipts = [node.rpc("accord_getTransactionReceipt", {"hash": t["hash"]}) for t in sealed]
        info = node.rpc("accord_nodeInfo")
        node.process.send_signal(signal.SIGKILL)
        node.process.wait(timeout=10)

        node, line = _launch(path, port)
        processes.append(node.process)
        assert "replayed from the checkpoint of block 4" in line
        assert node.rpc("accord_nodeInfo") == info
        assert [
            node.rpc("accord_getBlock", {"number": n, "full": True}) for n in range(6)
        ] == before
        assert [
            node.rpc("accord_getTransactionReceipt", {"hash": t["hash"]}) for t in sealed
        ] == receipts
        assert node.admin("block").json()["transactions"] == [acked["hash"]]
        assert node.rpc("accord_getBalance", {"account": "carol"}) == 22
        assert node.admin("shutdown").json() == {"stopping": True}
        assert node.process.wait(timeout=30) == 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
