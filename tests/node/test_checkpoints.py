"""Restarts from a state checkpoint: equal to a restart from genesis; an edited, torn or
unreadable checkpoint is refused in one line and the whole chain replayed instead."""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from accord.device.checkpoint import checksum
from accord.node import Node, NodeConfig, Signer, create_app
from accord.node.wire import transaction_from_json
from tests.node.conftest import Rpc, make_config


def _config(tmp_path: Path, signers: dict[str, Signer], **node: Any) -> NodeConfig:
    return make_config(tmp_path / "d", signers, **{"checkpoint_every": 3, "history": 2, **node})


def _chain(config: NodeConfig, signers: dict[str, Signer], blocks: int) -> list[str]:
    """``blocks`` blocks of transfers (two a block), and one transfer acknowledged and
    not sealed; returns every transaction hash."""
    node = Node.open(config)
    hashes = []
    nonces = dict.fromkeys(signers, 0)
    for number in range(blocks):
        for name, to in (("alice", "bob"), ("bob", "carol")):
            tx = signers[name].transfer(nonces[name], to, {"ETH": number + 1}, max_fee=3_000)
            nonces[name] += 1
            node.send(transaction_from_json(tx))
            hashes.append(tx["hash"])
        node.produce()
    tx = signers["alice"].transfer(nonces["alice"], "carol", {"ETH": 5}, max_fee=3_000)
    node.send(transaction_from_json(tx))
    hashes.append(tx["hash"])
    node.close()
    return hashes


def _answers(node: Node, hashes: list[str]) -> dict[str, Any]:
    """What the node answers about its whole chain: every block, receipt, transaction
    and proof, the logs, its head and state."""
    with TestClient(create_app(node)) as client:
        rpc = Rpc(client)
        number = node.device.number
        return {
            "info": rpc.call("accord_nodeInfo"),
            "blocks": [
                rpc.call("accord_getBlock", {"number": n, "full": True}) for n in range(number + 1)
            ],
            "receipts": [rpc.call("accord_getTransactionReceipt", {"hash": h}) for h in hashes],
            "txs": [rpc.call("accord_getTransaction", {"hash": h}) for h in hashes],
            "proofs": [rpc.call("accord_getProof", {"hash": h}) for h in hashes],
            "pending": sorted(h.hex() for h in node.device.mempool.txs),
            "state": node.device.state_hash().hex(),
        }


def _from_genesis(config: NodeConfig, hashes: list[str]) -> dict[str, Any]:
    """The answers of a node given only a copy of the chain log and the journal (no
    checkpoint, no archive: everything replayed and archived anew)."""
    other = config.node.data_dir.with_name("genesis-copy")
    other.mkdir()
    for name in ("chain.db", "mempool.db"):
        shutil.copy(config.node.data_dir / name, other / name)
    section = config.node.model_copy(update={"data_dir": other, "checkpoint_every": 0})
    started, answers = _open(config.model_copy(update={"node": section}), hashes)
    assert started is None
    shutil.rmtree(other)
    return answers


def _open(config: NodeConfig, hashes: list[str]) -> tuple[int | None, dict[str, Any]]:
    node = Node.open(config)
    try:
        return node.started_from, _answers(node, hashes)
    finally:
        node.close()


def test_a_restart_from_a_checkpoint_equals_one_from_genesis(
    tmp_path: Path, signers: dict[str, Signer]
) -> None:
    config = _config(tmp_path, signers)
    hashes = _chain(config, signers, 10)
    started, from_checkpoint = _open(config, hashes)
    assert started == 9  # checkpoints at 3, 6, 9: the newest, then block 10 replayed
    from_genesis = _from_genesis(config, hashes)
    assert from_checkpoint == from_genesis
    assert from_genesis["info"]["head"]["number"] == 10
    assert all(r is not None and r["status"] == "success" for r in from_genesis["receipts"][:-1])
    assert from_genesis["pending"] == [hashes[-1]]
    # and the node goes on: the next block includes the journal's transaction, and the
    # chain still replays from genesis to the same state
    node = Node.open(config)
    block = node.produce()
    assert [tx.hash.hex() for tx in block.transactions] == [hashes[-1]]
    state = node.device.state_hash()
    node.close()
    again = Node.open(_config(tmp_path, signers, checkpoint_every=0))
    assert again.device.state_hash() == state and again.device.number == 11
    again.close()


def _rows(config: NodeConfig) -> list[tuple[int, bytes]]:
    db = sqlite3.connect(str(config.checkpoints_path))
    try:
        return [(n, bytes(p)) for n, p in db.execute("SELECT number, payload FROM checkpoints")]
    finally:
        db.close()


def _rewrite(config: NodeConfig, number: int, data: bytes, *, fix_checksum: bool) -> None:
    db = sqlite3.connect(str(config.checkpoints_path))
    with db:
        if fix_checksum:
            db.execute(
                "UPDATE checkpoints SET payload = ?, checksum = ? WHERE number = ?",
                (data, checksum(data), number),
            )
        else:
            db.execute("UPDATE checkpoints SET payload = ? WHERE number = ?", (data, number))
    db.close()


def _mint(data: bytes) -> bytes:
    payload = json.loads(data)
    for pair in payload["tables"]["balances"]:
        if pair[0] == ["carol", "ETH"]:
            pair[1] += 10**6
    return json.dumps(payload).encode()


@pytest.mark.parametrize("damage", ["edited", "torn", "both"])
def test_a_damaged_checkpoint_is_refused_and_the_chain_replayed(
    tmp_path: Path, signers: dict[str, Signer], damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = _config(tmp_path, signers)
    hashes = _chain(config, signers, 7)
    honest = _from_genesis(config, hashes)
    rows = dict(_rows(config))
    assert sorted(rows) == [3, 6]  # the newest two kept
    if damage in ("edited", "both"):  # checksum recomputed: only the state hash can tell
        _rewrite(config, 6, _mint(rows[6]), fix_checksum=True)
    if damage in ("torn", "both"):  # cut mid-write: the checksum tells
        for number in (3,) if damage == "both" else (6,):
            _rewrite(config, number, rows[number][: len(rows[number]) // 2], fix_checksum=False)
    with caplog.at_level(logging.WARNING, logger="accord.node"):
        started, answers = _open(config, hashes)
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    if damage == "both":  # neither usable: from genesis
        assert started is None and len(refused) == 2
    else:  # the older one is used
        assert started == 3 and len(refused) == 1
    assert all("\n" not in line for line in refused)
    if damage != "torn":
        assert any("its state hashes to" in line for line in refused)
    if damage != "edited":
        assert any("checksum" in line for line in refused)
    assert answers == honest


def test_an_unreadable_checkpoint_file_is_set_aside(
    tmp_path: Path, signers: dict[str, Signer], caplog: pytest.LogCaptureFixture
) -> None:
    config = _config(tmp_path, signers)
    hashes = _chain(config, signers, 4)
    honest = _from_genesis(config, hashes)
    for suffix in ("-wal", "-shm"):
        Path(str(config.checkpoints_path) + suffix).unlink(missing_ok=True)
    config.checkpoints_path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    with caplog.at_level(logging.WARNING, logger="accord.node"):
        started, answers = _open(config, hashes)
    assert started is None and answers == honest
    assert any("set aside" in r.getMessage() for r in caplog.records)
    # the node writes checkpoints again
    node = Node.open(config)
    node.archive.add(node.device.build_block())  # an empty block 5
    assert node.produce().number == 6
    node.close()
    assert [n for n, _ in _rows(config)] == [6]


def test_a_lost_archive_queue_is_replayed_and_archived_again(
    tmp_path: Path, signers: dict[str, Signer]
) -> None:
    """A kill -9 loses the blocks the archive had queued (those after the newest
    checkpoint): the restart replays them from the chain log and archives them."""
    config = _config(tmp_path, signers, history=4)
    node = Node.open(config)
    hashes = []
    for nonce in range(5):
        tx = signers["alice"].transfer(nonce, "bob", {"ETH": 1}, max_fee=3_000)
        node.send(transaction_from_json(tx))
        hashes.append(tx["hash"])
        node.produce()
    assert node.archive.written == 3 and sorted(node.archive.queue) == [4, 5]
    node.archive.queue.clear()  # the crash: the queue is gone, nothing else is closed
    node.archive._tx_queue.clear()
    node.journal.close()
    node.checkpoints.close()
    node.device.log.close()  # type: ignore[attr-defined]
    started, answers = _open(config, hashes)
    assert started == 3
    assert [r["block_number"] for r in answers["receipts"]] == [1, 2, 3, 4, 5]
    assert answers == _from_genesis(config, hashes)


def test_a_checkpoint_that_cannot_be_written_leaves_the_block_sealed(
    tmp_path: Path,
    signers: dict[str, Signer],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = _config(tmp_path, signers)
    node = Node.open(config)

    def full(*args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(node.checkpoints, "write", full)
    with caplog.at_level(logging.ERROR, logger="accord.node"):
        blocks = [node.produce() for _ in range(3)]
    assert [b.number for b in blocks] == [1, 2, 3] and node.device.number == 3
    assert any("block 3: the checkpoint was not written" in r.getMessage() for r in caplog.records)
    node.close()
    again = Node.open(config)
    assert again.started_from is None and again.device.head == blocks[-1].header
    again.close()
