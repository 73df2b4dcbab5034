"""Restarts: the chain log replays to the same state, acknowledged transactions come
back from the mempool journal, and a config that does not match the log is refused."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from accord.device import Device, replay
from accord.device.merkle import EMPTY_ROOT
from accord.device.store import SqliteLog
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


def test_a_chain_written_before_the_receipts_roots_switch_resumes_with_its_roots(
    tmp_path: Path, signers: dict[str, Signer]
) -> None:
    """A node's chain.db from before ``DeviceConfig.receipts_roots`` (roots always on,
    no such key in its config) resumes: the node's forced ``receipts_roots = true`` is
    what the log was written with; the replayed headers keep their roots (the same
    block hashes the node served) and new blocks get theirs. Before the fix the node
    refused to start ("differs in receipts_roots"), and a node.toml cannot turn roots
    off, so the chain could not be resumed at all."""
    config = make_config(tmp_path / "data", signers)
    assert config.device.receipts_roots
    config.node.data_dir.mkdir(parents=True)
    old = Device(
        config.device.model_copy(update={"receipts_roots": False}),
        config.genesis,
        seed=config.seed,
        store=SqliteLog(config.chain_path),
    )
    old._receipts_roots = True  # as every device had them before the switch
    old.build_blocks(3)
    headers = [h.hash for h in old.headers]
    assert isinstance(old.log, SqliteLog)
    old.log.close()
    with sqlite3.connect(config.chain_path) as db:
        (text,) = db.execute("SELECT value FROM meta WHERE key = 'config'").fetchone()
        data = json.loads(text)
        del data["receipts_roots"]
        db.execute("UPDATE meta SET value = ? WHERE key = 'config'", (json.dumps(data),))
    node = Node.open(config)
    try:
        assert [h.hash for h in node.device.headers] == headers
        assert node.device.genesis_hash == old.genesis_hash
        alice = signers["alice"]
        node.send(transaction_from_json(alice.transfer(0, "bob", {"ETH": 1}, max_fee=3_000)))
        block = node.produce()
        assert block.header.receipt_count == 1 and block.header.receipts_root != EMPTY_ROOT
    finally:
        node.close()
    assert replay(config.chain_path).head.hash == block.header.hash
