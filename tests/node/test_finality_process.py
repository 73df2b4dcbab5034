"""The real ``accord node`` with forks on, killed with SIGKILL right after it answered an
operator's reorg (``POST /admin/reorg``): the restarted node replays the fork and stands
on the same head, with the same state hash, the double spend in and the payment out."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from tests.node.conftest import TOKEN, make_signers
from tests.node.node_process import free_port, launch, write_config


def test_kill_9_after_an_acknowledged_reorg_keeps_the_fork(tmp_path: Path) -> None:
    signers = make_signers()
    port = free_port()
    path = write_config(tmp_path, signers, port, device={"finality_depth": 2})
    node = launch(path, port)
    try:
        alice = signers["alice"]
        node.admin("block")
        pay = alice.transfer(0, "bob", {"ETH": 11}, max_fee=3_000)
        assert node.rpc("accord_sendTransaction", {"transaction": pay}) == pay["hash"]
        assert node.admin("block").json()["transactions"] == [pay["hash"]]
        node.admin("block")
        double = alice.transfer(0, "carol", {"ETH": 11}, max_fee=6_000, priority_fee=100)
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "accord_reorg",
            "params": {"depth": 2, "blocks": [[double], [], []]},
        }
        answer = httpx.post(
            node.url + "/admin/reorg",
            json=body,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        ).json()["result"]
        assert answer["built"][0]["transactions"] == [double["hash"]]
        node.process.send_signal(signal.SIGKILL)
        node.process.wait(timeout=10)

        node = launch(path, port)
        info = node.rpc("accord_nodeInfo")
        assert info["head"] == answer["head"] and info["state_hash"] == answer["state_hash"]
        assert info["finalized"] == 2
        assert node.rpc("accord_getBalance", {"account": "carol"}) == 11
        assert node.rpc("accord_getBalance", {"account": "bob"}) == 0
        assert node.rpc("accord_getTransactionReceipt", {"hash": pay["hash"]}) is None
        receipt = node.rpc("accord_getTransactionReceipt", {"hash": double["hash"]})
        assert (receipt["block_number"], receipt["finalized"]) == (2, True)
        assert node.admin("block").json()["number"] == 5
        assert node.admin("shutdown").json() == {"stopping": True}
        assert node.process.wait(timeout=30) == 0
    finally:
        if node.process.poll() is None:
            node.process.kill()
            node.process.wait(timeout=10)
