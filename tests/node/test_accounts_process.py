"""The real ``accord node`` killed with SIGKILL right after it answered an account
opening: the restarted node has the account, with the same key, and the same state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import tomli_w

from accord.node import Signer
from tests.node.conftest import TOKEN, make_signers
from tests.node.test_process import ROOT, Running, _free_port


def _launch(path: Path, port: int) -> Running:
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
    raise AssertionError("node did not start within 60 s")


def test_kill_9_after_an_acknowledged_opening_loses_nothing(tmp_path: Path) -> None:
    signers = make_signers()
    port = _free_port()
    config = {
        "seed": 1,
        "node": {
            "port": port,
            "data_dir": "data",
            "admin_token": TOKEN,
            "accounts": {"open": "open", "max_accounts": 10},
        },
        "device": {"chain_id": 7},
        "genesis": {
            "public_keys": {n: s.public_key.hex() for n, s in signers.items()},
            "assets": {"ETH": {"issuer": "treasury", "alloc": {"alice": 10**18}}},
        },
    }
    path = tmp_path / "node.toml"
    path.write_text(tomli_w.dumps(config))
    node = _launch(path, port)
    try:
        alice = signers["alice"]
        pay_first = Signer.generate("dave", chain_id=7)
        assert node.rpc("accord_openAccount", pay_first.open_account())["address"] == "dave"
        pay = alice.transfer(0, "dave", {"ETH": 10**15}, max_fee=3_000)
        assert node.rpc("accord_sendTransaction", {"transaction": pay}) == pay["hash"]
        assert node.admin("block").json()["transactions"] == [pay["hash"]]
        erin = Signer.generate("erin", chain_id=7)  # opened after the last block, then killed
        assert node.rpc("accord_openAccount", erin.open_account())["address"] == "erin"
        state = node.rpc("accord_nodeInfo")["state_hash"]
        node.process.send_signal(signal.SIGKILL)
        node.process.wait(timeout=10)

        node = _launch(path, port)
        assert node.rpc("accord_nodeInfo")["state_hash"] == state
        for signer in (pay_first, erin):
            got = node.rpc("accord_getAccount", {"account": signer.address})
            assert got["public_key"] == signer.public_key.hex()
        spend = pay_first.transfer(0, "erin", {"ETH": 9}, max_fee=3_000)
        assert node.rpc("accord_sendTransaction", {"transaction": spend}) == spend["hash"]
        assert node.admin("block").json()["transactions"] == [spend["hash"]]
        assert node.rpc("accord_getBalance", {"account": "erin"}) == 9
        again = node.rpc("accord_openAccount", erin.open_account())
        assert again["code"] == -32000 and "already exists" in again["message"]
        assert node.admin("shutdown").json() == {"stopping": True}
        assert node.process.wait(timeout=30) == 0
    finally:
        if node.process.poll() is None:
            node.process.kill()
            node.process.wait(timeout=10)
