"""Restarts: the chain log replays to the same state, acknowledged transactions come
back from the mempool journal, and a config that does not match the log is refused."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from accord.device import replay
from accord.node import Node, NodeStartError, Signer, create_app
from accord.node.wire import transaction_from_json
from tests.node.conftest import TOKEN, Rpc, make_config


def test_a_restart_replays_the_log_and_restores_the_pending(
    tmp_path: Path, signers: dict[str, Signer]
) -> None:
    config = make_config(tmp_path / "d", signers)
    alice = signers["alice"]
    node = Node.open(config)
    first = alice.transfer(0, "bob", {"ETH": 5}, max_fee=3_000)
    node.send(transaction_from_json(first))
    node.produce()
    second = alice.transfer(1, "carol", {"USD": 7}, max_fee=3_000)
    node.send(transaction_from_json(second))  # acknowledged, not yet in a block
    head, state = node.device.head.hash, node.device.state_hash()
    node.close()

    again = Node.open(config)
    assert again.device.number == 1
    assert again.device.head.hash == head and again.device.state_hash() == state
    assert bytes.fromhex(second["hash"]) in again.device.mempool
    assert again.block_of[bytes.fromhex(first["hash"])] == 1
    block = again.produce()
    assert [tx.hash.hex() for tx in block.transactions] == [second["hash"]]
    assert again.device.balance("carol", "USD") == 7
    assert len(again.journal) == 0
    again.close()
    third = Node.open(config)
    assert third.device.number == 2 and len(third.device.mempool) == 0
    third.close()


def test_journal_rows_of_included_transactions_are_forgotten(
    tmp_path: Path, signers: dict[str, Signer]
) -> None:
    config = make_config(tmp_path / "d", signers)
    node = Node.open(config)
    tx = transaction_from_json(signers["alice"].transfer(0, "bob", {"ETH": 5}, max_fee=3_000))
    node.send(tx)
    node.device.build_block()  # sealed, but the journal not yet pruned (a crash here)
    assert len(node.journal) == 1
    node.close()
    again = Node.open(config)
    assert len(again.journal) == 0 and len(again.device.mempool) == 0
    assert again.device.nonce("alice") == 1
    again.close()


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"device": {"chain_id": 8}}, "differs in chain_id"),
        ({"device": {"chain_id": 7, "ordering": "fcfs"}}, "differs in ordering"),
        ({"seed": 4}, "the log's seed is 3, node.toml says 4"),
        ({"genesis": {"accounts": ["zed"]}}, "another [genesis]"),
    ],
)
def test_a_config_that_does_not_match_the_log_is_refused(
    tmp_path: Path, signers: dict[str, Signer], change: dict[str, object], says: str
) -> None:
    config = make_config(tmp_path / "d", signers)
    Node.open(config).close()
    data = config.model_dump(mode="json")
    for key, value in change.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    other = type(config).model_validate(data)
    with pytest.raises(NodeStartError, match=r".*" + says.replace("[", r"\[").replace("]", r"\]")):
        Node.open(other)


def test_a_snapshot_replays_to_the_head(tmp_path: Path, signers: dict[str, Signer]) -> None:
    node = Node.open(make_config(tmp_path / "d", signers))
    with TestClient(create_app(node)) as client:
        rpc = Rpc(client)
        rpc.call(
            "accord_sendTransaction",
            {"transaction": signers["bob"].transfer(0, "alice", {"ETH": 3}, max_fee=3_000)},
        )
        rpc.block()
        response = client.post("/admin/snapshot", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200
        shot = response.json()
    node.close()
    replayed = replay(shot["path"], head_hash=shot["head_hash"], genesis_hash=shot["genesis_hash"])
    assert replayed.number == shot["number"] == 1
    assert replayed.state_hash().hex() == shot["state_hash"]


def test_the_timer_produces_blocks_when_there_is_work(
    tmp_path: Path, signers: dict[str, Signer]
) -> None:
    node = Node.open(make_config(tmp_path / "d", signers, block_interval_ms=20))
    with TestClient(create_app(node)) as client:
        rpc = Rpc(client)
        time.sleep(0.2)
        assert rpc.call("eth_blockNumber") == "0x0"  # nothing pending: no empty blocks
        tx = signers["alice"].transfer(0, "bob", {"ETH": 1}, max_fee=3_000)
        rpc.call("accord_sendTransaction", {"transaction": tx})
        deadline = time.monotonic() + 10
        receipt = None
        while receipt is None and time.monotonic() < deadline:
            time.sleep(0.02)
            receipt = rpc.call("accord_getTransactionReceipt", {"hash": tx["hash"]})
        assert receipt is not None and receipt["status"] == "success"
        assert rpc.call("eth_blockNumber") == "0x1"
    node.close()
