"""Group commit (accord/node/group_commit.py): the journal rows of concurrent requests
share one SQLite commit, every answer still waits for the commit of its own rows, and a
commit that fails acknowledges nothing (the items leave the mempool, no row is kept)."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.node import Node, NodeConfig, Signer, create_app
from tests.node.conftest import make_config, make_signers


def _body(tx: dict[str, Any], request_id: int = 1) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "accord_sendTransaction",
        "params": {"transaction": tx},
    }


async def _send_all(node: Node, bodies: list[Any]) -> tuple[list[Any], int]:
    """POST every body concurrently to the node's app; the answers and the flushes."""
    app = create_app(node)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        responses = await asyncio.gather(*(client.post("/", json=b) for b in bodies))
    flushes: int = app.state.commits.flushes
    return [r.json() for r in responses], flushes


def test_concurrent_requests_share_commits_and_each_row_is_on_disk(
    node: Node, signers: dict[str, Signer]
) -> None:
    alice = signers["alice"]
    txs = [alice.transfer(n, "bob", {"ETH": 1 + n}, max_fee=3_000) for n in range(24)]
    answers, flushes = asyncio.run(_send_all(node, [_body(tx, i) for i, tx in enumerate(txs)]))
    assert [a["result"] for a in answers] == [tx["hash"] for tx in txs]
    assert len(node.journal) == 24 and node.staged == 0  # all committed before answering
    assert 1 <= flushes < 24  # shared: fewer commits than requests
    # Committed, not just staged: another connection to the file sees every row.
    other = sqlite3.connect(str(node.journal.path))
    assert other.execute("SELECT COUNT(*) FROM pending").fetchone()[0] == 24
    other.close()


def test_a_failed_commit_acknowledges_nothing(
    node: Node, signers: dict[str, Signer], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = signers["alice"], signers["bob"]
    txs = [alice.transfer(0, "bob", {"ETH": 5}, max_fee=3_000)]
    txs.append(bob.transfer(0, "alice", {"ETH": 7}, max_fee=3_000))
    before = node.device.state_hash()
    real_flush = node.journal.flush

    def broken() -> int:
        node.journal._staged.clear()
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(node.journal, "flush", broken)
    answers, _ = asyncio.run(_send_all(node, [_body(tx) for tx in txs]))
    for answer in answers:
        assert answer["error"]["code"] == -32603 and "nothing" in answer["error"]["message"]
    assert len(node.device.mempool) == 0 and len(node.journal) == 0 and node.staged == 0
    assert node.device.state_hash() == before
    monkeypatch.setattr(node.journal, "flush", real_flush)
    answers, _ = asyncio.run(_send_all(node, [_body(tx) for tx in txs]))  # not refused now
    assert [a["result"] for a in answers] == [tx["hash"] for tx in txs]
    assert len(node.journal) == 2


KINDS = st.sampled_from(["honest", "duplicate", "replay", "forged", "wrong_chain"])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kinds=st.lists(KINDS, min_size=1, max_size=16), seed=st.integers(0, 2**16))
def test_concurrent_hostile_mix_exactly_the_honest_are_journaled_and_restored(
    tmp_path_factory: pytest.TempPathFactory, kinds: list[str], seed: int
) -> None:
    """Concurrent requests of honest, duplicated, replayed, forged and wrong-chain
    transfers: exactly the honest ones are acknowledged, journaled, and pending again
    after a restart from the files alone."""
    signers = make_signers()
    config: NodeConfig = make_config(tmp_path_factory.mktemp("gc") / "data", signers)
    node = Node.open(config)
    alice, bob = signers["alice"], signers["bob"]
    thief = Signer.generate("alice", chain_id=7)  # claims alice's name, not her key
    other_chain = Signer(alice.private_key, "alice", chain_id=8)
    honest: list[str] = []
    bodies: list[Any] = []
    nonce = 0
    last: dict[str, Any] = {}
    for i, kind in enumerate(kinds):
        if kind == "honest" or not honest:
            tx = last = alice.transfer(nonce, "bob", {"ETH": 1 + (seed + i) % 97}, max_fee=3_000)
            nonce += 1
            honest.append(tx["hash"])
        elif kind == "duplicate":
            tx = last
        elif kind == "replay":
            tx = bob.transfer(0, "carol", {"ETH": 1}, max_fee=3_000)  # spent before these
        elif kind == "forged":
            tx = thief.transfer(nonce + 50, "bob", {"ETH": 1}, max_fee=3_000)
        else:
            tx = other_chain.transfer(nonce + 50, "bob", {"ETH": 1}, max_fee=3_000)
        bodies.append(_body(tx, i))
    spent = bob.transfer(0, "carol", {"ETH": 1}, max_fee=3_000)
    asyncio.run(_send_all(node, [_body(spent, 999)]))
    node.produce()  # bob's nonce 0 is used: the "replay" sends are refused
    answers, _ = asyncio.run(_send_all(node, bodies))
    acked = [a["result"] for a in answers if "result" in a]
    # A duplicate of an honest transaction sent in the same batch may arrive first;
    # either way each honest hash is acknowledged at least once and nothing else is.
    assert set(acked) == set(honest)
    assert len(node.journal) == len(honest) and len(node.device.mempool) == len(honest)
    node.close()
    again = Node.open(config)
    try:
        mempool = again.device.mempool
        assert len(mempool) == len(honest)
        assert all(bytes.fromhex(h) in mempool for h in honest)
    finally:
        again.close()


def test_node_without_a_server_commits_each_send(node: Node, signers: dict[str, Signer]) -> None:
    """Outside the server (tests, tools), send is durable when it returns, as before."""
    from accord.node.wire import transaction_from_json

    tx = signers["alice"].transfer(0, "bob", {"ETH": 3}, max_fee=3_000)
    node.send(transaction_from_json(tx))
    assert node.staged == 0 and len(node.journal) == 1
