"""The real ``accord node`` with checkpoints every 2 blocks and 2 blocks in memory,
killed with SIGKILL: the restart starts from the newest checkpoint, loses no sealed
block or acknowledged transaction, and answers old blocks as before the kill."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from tests.node.conftest import make_signers
from tests.node.node_process import free_port, launch, write_config


def test_kill_9_then_a_restart_from_the_checkpoint(tmp_path: Path) -> None:
    signers = make_signers()
    port = free_port()
    path = write_config(tmp_path, signers, port, node={"history": 2, "checkpoint_every": 2})
    alice = signers["alice"]
    node = launch(path, port)
    line = node.start_line()
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

        node = launch(path, port)
        line = node.start_line()
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
