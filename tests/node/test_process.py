"""The real ``accord node`` on a loopback port: started and stopped by a fixture, and
killed with SIGKILL after an acknowledged transaction and a sealed block, neither lost."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import tomli_w

from accord.node import Signer
from tests.node.conftest import TOKEN, make_signers

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Running:
    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.url = f"http://127.0.0.1:{port}"

    def rpc(self, method: str, params: Any = None) -> Any:
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method}
        if params is not None:
            body["params"] = params
        answer = httpx.post(self.url + "/", json=body, timeout=10).json()
        return answer.get("result", answer.get("error"))

    def admin(self, what: str) -> httpx.Response:
        return httpx.post(
            f"{self.url}/admin/{what}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )


@pytest.fixture
def start(tmp_path: Path) -> Iterator[tuple[Callable[[], Running], dict[str, Signer]]]:
    signers = make_signers()
    port = _free_port()
    config = {
        "seed": 1,
        "node": {"port": port, "data_dir": "data", "admin_token": TOKEN},
        "device": {"chain_id": 7},
        "genesis": {
            "public_keys": {n: s.public_key.hex() for n, s in signers.items()},
            "assets": {"ETH": {"issuer": "treasury", "alloc": {"alice": 10**18}}},
        },
    }
    path = tmp_path / "node.toml"
    path.write_text(tomli_w.dumps(config))
    started: list[subprocess.Popen[bytes]] = []

    def launch() -> Running:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(
            [sys.executable, "-m", "accord.cli", "node", "--config", str(path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append(process)
        running = Running(process, port)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(
                    f"node exited: {process.stderr.read().decode() if process.stderr else ''}"
                )
            try:
                if httpx.get(running.url + "/health", timeout=1).status_code == 200:
                    return running
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("node did not start within 60 s")

    yield launch, signers
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_kill_9_loses_no_sealed_block_and_no_acknowledged_transaction(start: Any) -> None:
    launch, signers = start
    alice = signers["alice"]
    node = launch()
    assert node.rpc("eth_chainId") == "0x7"
    sealed = alice.transfer(0, "bob", {"ETH": 11}, max_fee=3_000)
    assert node.rpc("accord_sendTransaction", {"transaction": sealed}) == sealed["hash"]
    block = node.admin("block").json()
    assert block["number"] == 1 and block["transactions"] == [sealed["hash"]]
    acked = alice.transfer(1, "carol", {"ETH": 22}, max_fee=3_000)
    assert node.rpc("accord_sendTransaction", {"transaction": acked}) == acked["hash"]
    state = node.rpc("accord_nodeInfo")["state_hash"]
    node.process.send_signal(signal.SIGKILL)
    node.process.wait(timeout=10)

    node = launch()
    info = node.rpc("accord_nodeInfo")
    assert info["head"] == {"number": 1, "hash": block["hash"]}
    assert info["state_hash"] == state
    assert node.rpc("accord_getTransactionReceipt", {"hash": sealed["hash"]})["block_number"] == 1
    assert node.rpc("accord_getTransaction", {"hash": acked["hash"]})["block_number"] is None
    assert node.admin("block").json()["transactions"] == [acked["hash"]]
    assert node.rpc("accord_getBalance", {"account": "carol"}) == 22
    assert node.admin("shutdown").json() == {"stopping": True}
    assert node.process.wait(timeout=30) == 0


def test_remote_device_and_subscriptions_on_the_real_node(start: Any) -> None:
    """The real server (uvicorn) serves /ws: a reading client gets each block's head
    and receipt while a client that stops reading after its subscription (its
    WebSocket library's queue of 1 full, so its socket is left undrained) holds nothing
    up; RemoteDevice signs here, submits there and seals on demand."""
    import json

    from websockets.sync.client import connect

    from accord.client import RemoteDevice

    launch, signers = start
    node = launch()
    ws_url = node.url.replace("http://", "ws://") + "/ws"
    device = RemoteDevice.connect(
        node.url, keys={"alice": signers["alice"].private_key}, admin_token=TOKEN
    )
    subscribe = {"jsonrpc": "2.0", "id": 1, "method": "accord_subscribe"}
    with connect(ws_url) as reader, connect(ws_url, max_queue=1) as stuck:
        for ws, topic in ((reader, "newHeads"), (stuck, "newHeads")):
            ws.recv(timeout=10)  # the welcome
            ws.send(json.dumps({**subscribe, "params": {"topic": topic}}))
            assert json.loads(ws.recv(timeout=10))["result"] == "0x1"
        reader.send(json.dumps({**subscribe, "id": 2, "params": {"topic": "receipts"}}))
        assert json.loads(reader.recv(timeout=10))["result"] == "0x2"
        alice = device.account("alice")
        receipt = device.call(alice, "bob", value={"ETH": 5})
        assert receipt.ok and device.balance("bob", "ETH") == 5
        blocks = 30
        for _ in range(blocks - 1):
            device.build_block()
        assert device.number == blocks
        got = [json.loads(reader.recv(timeout=10))["params"]["result"] for _ in range(blocks + 1)]
        assert [g["number"] for g in got if "number" in g] == list(range(1, blocks + 1))
        assert [g["tx_hash"] for g in got if "tx_hash" in g] == [receipt.tx_hash.hex()]
    device.close()
    assert node.admin("shutdown").json() == {"stopping": True}
    assert node.process.wait(timeout=30) == 0
