"""The real ``accord node`` killed with SIGKILL right after it answered an account
opening: the restarted node has the account, with the same key, and the same state."""

from __future__ import annotations

import signal
from pathlib import Path

from accord.node import Signer
from tests.node.conftest import make_signers
from tests.node.node_process import free_port, launch, write_config


def test_kill_9_after_an_acknowledged_opening_loses_nothing(tmp_path: Path) -> None:
    signers = make_signers()
    port = free_port()
    accounts = {"open": "open", "max_accounts": 10}
    path = write_config(tmp_path, signers, port, node={"accounts": accounts})
    node = launch(path, port)
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

        node = launch(path, port)
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
