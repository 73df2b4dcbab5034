"""The block archive: a node that keeps two blocks in memory answers every old block,
receipt, transaction, proof and log as a node that keeps them all; after a restart
too; and ``/admin/snapshot`` copies ``accounts.db`` with the chain log."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from accord.device import Block, BlockHeader, Receipt
from accord.device.commitments.build import commitment, fires, transfer
from accord.device.commitments.registry import REGISTRY_ADDRESS, CommitmentRegistry
from accord.device.context import Event
from accord.device.receipts_root import result_leaf
from accord.node import Node, NodeConfig, create_app
from accord.node.accounts import Sponsorships
from accord.node.archive import decode_block, encode_block
from accord.node.reads import value
from tests.node.conftest import TOKEN, Rpc, make_signers
from tests.node.test_finality import Chain, _double_spend, finality_config
from tests.node.test_proofs import fill, proof_config


def _with(config: NodeConfig, **node: Any) -> NodeConfig:
    return config.model_copy(update={"node": config.node.model_copy(update=node)})


def _answers(rpc: Rpc, number: int) -> dict[str, Any]:
    """Everything the node answers about block ``number``."""
    full = rpc.call("accord_getBlock", {"number": number, "full": True})
    hashes = [tx["hash"] for tx in full["transactions"]]
    return {
        "block": rpc.call("accord_getBlock", {"number": number}),
        "full": full,
        "receipts": [rpc.call("accord_getTransactionReceipt", {"hash": h}) for h in hashes],
        "txs": [rpc.call("accord_getTransaction", {"hash": h}) for h in hashes],
        "proofs": [rpc.call("accord_getProof", {"hash": h}) for h in hashes],
        "logs": rpc.call("accord_getLogs", {"from_block": number, "to_block": number}),
    }


class Capturing(Rpc):
    """Records what the node answers about each block as soon as it is sealed (the
    head, in memory)."""

    def __init__(self, client: TestClient) -> None:
        super().__init__(client)
        self.seen = {0: _answers(self, 0)}

    def block(self) -> dict[str, Any]:
        sealed = super().block()
        self.seen[sealed["number"]] = _answers(self, sealed["number"])
        return sealed


def test_old_blocks_read_the_same_from_the_archive(tmp_path: Path) -> None:
    signers = make_signers()
    config = _with(proof_config(tmp_path / "d", signers), history=2, checkpoint_every=3)
    node = Node.open(config)
    with TestClient(create_app(node)) as client:
        rpc = Capturing(client)
        fill(rpc, signers)
        assert [b.number for b in node.device.blocks] == [6, 7]
        assert sorted(rpc.seen) == list(range(8))
        assert {n: _answers(rpc, n) for n in rpc.seen} == rpc.seen
    node.close()
    node = Node.open(config)  # and after a restart from the checkpoint of block 6
    assert node.started_from == 6
    with TestClient(create_app(node)) as client:
        assert {n: _answers(Rpc(client), n) for n in rpc.seen} == rpc.seen
    node.close()
    answers = [a for seen in rpc.seen.values() for a in seen["receipts"] + seen["proofs"]]
    assert answers and all(a is not None for a in answers)
    results = [r["result"] for seen in rpc.seen.values() for r in seen["receipts"]]
    assert {"$unrepresentable": "Opaque"} in results
    # one Gave event a call: 1 + 2 + ... + 6 = 21 transactions, 4 of them transfers
    assert sum(len(seen["logs"]) for seen in rpc.seen.values()) == 17


def test_the_device_keeps_only_its_window(tmp_path: Path) -> None:
    signers = make_signers()
    config = _with(proof_config(tmp_path / "d", signers), history=3)
    node = Node.open(config)
    for _ in range(600):
        node.device.build_block()  # empty: what grows is the number of blocks
        node.archive.add(node.device.blocks[-1])
    node.produce()
    assert len(node.device.blocks) == 3
    assert len(node.device.headers) <= 2 * 256
    assert node.block(5) is not None and node.block(5).header.number == 5  # type: ignore[union-attr]
    assert node.block(602) is None
    node.close()


def test_a_snapshot_copies_the_accounts_too(tmp_path: Path) -> None:
    signers = make_signers()
    config = proof_config(tmp_path / "d", signers)
    node = Node.open(config)
    sponsorships = Sponsorships(config.accounts_path)
    sponsorships.add("dave", "alice")  # a row still in accounts.db's WAL
    with TestClient(create_app(node)) as client:
        answer = client.post("/admin/snapshot", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    copy = Path(answer.json()["path"]).with_name("accounts-0.db")
    db = sqlite3.connect(str(copy))
    assert db.execute("SELECT name, sponsor FROM sponsored").fetchall() == [("dave", "alice")]
    assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    db.close()
    sponsorships.close()
    node.close()


_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.text(max_size=4)
    | st.binary(max_size=4)
)
RESULTS = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3).map(tuple)
        | st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(result=RESULTS | st.builds(object))
def test_a_result_reads_and_proves_the_same_after_the_archive(result: object) -> None:
    header = BlockHeader(1, 2, b"\x01" * 32, "b", 3, 4, 5, b"\x02" * 32, b"\x03" * 32)
    receipt = Receipt(
        b"\x04" * 32, "success", 1, 2, 0, result, (Event("0xa", "E", (("k", b"\x00"),)),), None
    )
    block = decode_block(encode_block(Block(header, (), (receipt,)), value))
    (back,) = block.receipts
    assert value(back.result) == value(result)
    assert result_leaf(back.result) == result_leaf(result)
    assert back[:5] == receipt[:5] and back[6:] == receipt[6:]
    assert block.header == header


def test_a_reorg_replaces_archived_blocks_and_their_index(tmp_path: Path) -> None:
    """One block in memory (every block archived at once): a reorg of two archived
    blocks leaves the reorged-out payment with no receipt and the double spend in block
    2, before and after a restart (which replays the fork record)."""
    signers = make_signers()
    config = _with(finality_config(tmp_path / "d", signers), history=1)
    chain = Chain(config, signers)
    pay, double, _ = _double_spend(chain)
    assert chain.node.archive.written == 3 and not chain.node.archive.queue
    chain.reorg({"depth": 2, "blocks": [[double], [], []], "builder": "bandit"})
    rpc = chain.rpc
    seen = {n: _answers(rpc, n) for n in range(5)}
    assert rpc.call("accord_getTransactionReceipt", {"hash": pay["hash"]}) is None
    assert rpc.call("accord_getTransaction", {"hash": pay["hash"]}) is None
    assert rpc.call("accord_getTransactionReceipt", {"hash": double["hash"]})["block_number"] == 2
    assert seen[2]["full"]["transactions"][0]["hash"] == double["hash"]
    assert seen[4]["block"]["builder"] == "bandit"
    chain.close()
    again = Node.open(config)
    with TestClient(create_app(again)) as client:
        rpc = Rpc(client)
        assert {n: _answers(rpc, n) for n in range(5)} == seen
        assert rpc.call("accord_getTransactionReceipt", {"hash": pay["hash"]}) is None
    assert bytes.fromhex(pay["hash"]) not in again.block_of
    again.close()


def test_the_explorer_reads_archived_blocks_after_a_restart(tmp_path: Path) -> None:
    """The explorer's index (each sender's transactions, where each commitment was
    posted) is the same after a restart from a checkpoint as before it, although the
    device then holds only the blocks after the checkpoint."""
    signers = make_signers()
    config = _with(proof_config(tmp_path / "d", signers), history=2, checkpoint_every=3)
    node = Node.open(config)
    alice, bob = signers["alice"], signers["bob"]
    waiting = commitment(
        "alice",
        "buy",
        expiry=100,
        condition=fires("bob/never"),
        actions=[transfer("ETH", "bob", 1)],
        requires={"ETH": 1},
    )
    document, gas_limit = CommitmentRegistry.posting(waiting, "alice", 1)
    post = alice.sign(0, REGISTRY_ADDRESS, "post", [document], gas_limit=gas_limit, max_fee=3_000)
    with TestClient(create_app(node)) as client:
        rpc = Rpc(client)
        rpc.call("accord_sendTransaction", {"transaction": post})
        rpc.block()
        for nonce in range(7):
            pay = bob.transfer(nonce, "carol", {"ETH": 1}, max_fee=3_000)
            rpc.call("accord_sendTransaction", {"transaction": pay})
            rpc.block()

        def explorer(rpc: Rpc) -> list[Any]:
            return [
                *(
                    rpc.call("accord_getAccountTransactions", {"account": n})
                    for n in ("alice", "bob", "carol")
                ),
                rpc.call("accord_listCommitments", {"status": "pending"}),
            ]

        before = explorer(rpc)
    node.close()
    assert before[0]["transactions"] == [post["hash"]] and before[1]["total"] == 7
    assert before[3]["commitments"][0]["posted_tx"] == post["hash"]
    node = Node.open(config)
    assert node.started_from == 6 and [b.number for b in node.device.blocks] == [7, 8]
    with TestClient(create_app(node)) as client:
        assert explorer(Rpc(client)) == before
    node.close()
