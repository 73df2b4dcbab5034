"""The real ``accord node`` on a loopback port: started and stopped by a fixture, and
killed with SIGKILL after an acknowledged transaction and a sealed block, neither lost."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from accord.node import Signer
from tests.node.conftest import TOKEN, make_signers
from tests.node.node_process import Running, free_port, launch, write_config


@pytest.fixture
def start(tmp_path: Path) -> Iterator[tuple[Callable[[], Running], dict[str, Signer]]]:
    signers = make_signers()
    port = free_port()
    path = write_config(tmp_path, signers, port)
    started: list[Running] = []

    def start_one() -> Running:
        started.append(launch(path, port))
        return started[-1]

    yield start_one, signers
    for running in started:
        running.stop()


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
