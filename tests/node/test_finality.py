"""Finality over the node (issue 16): block tags with Ethereum's meaning, receipts that
say whether their block is final, the operator's reorg (``POST /admin/reorg``) sealed
whole into the chain log so that a restart replays to the same head, and hostile reorg
requests refused in one line, changing nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from accord.client import InvalidProof, verify_receipt_proof
from accord.device import replay
from accord.node import Node, NodeConfig, Signer, create_app, parse_config
from accord.node.production import NodeDiverged
from accord.node.proofs import receipt_proof
from tests.node.conftest import CHAIN_ID, ETH, TOKEN, Rpc, make_signers
from tests.node.test_proofs import ODD

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def finality_config(data_dir: Path, signers: dict[str, Signer], **device: Any) -> NodeConfig:
    """A node whose last ``finality_depth`` (default 2) blocks can fork."""
    return parse_config(
        {
            "seed": 3,
            "node": {"data_dir": str(data_dir), "admin_token": TOKEN},
            "device": {"chain_id": CHAIN_ID, "finality_depth": 2, **device},
            "genesis": {
                "public_keys": {n: s.public_key.hex() for n, s in signers.items()},
                "contract_modules": ["accord.contracts", "tests.device.proof_contracts"],
                "assets": {"ETH": {"issuer": "treasury", "alloc": dict.fromkeys(signers, ETH)}},
            },
        }
    )


class Chain:
    """A node with forks on, its client and the signers' next nonces."""

    def __init__(self, config: NodeConfig, signers: dict[str, Signer]) -> None:
        self.config = config
        self.signers = signers
        self.node = Node.open(config)
        self.client = TestClient(create_app(self.node))
        self.client.__enter__()
        self.rpc = Rpc(self.client)
        self.nonces = dict.fromkeys(signers, 0)

    def tx(self, name: str, to: str, method: str = "", args: list[Any] | None = None) -> Any:
        """A signed transaction (not sent), using ``name``'s next nonce."""
        signer, nonce = self.signers[name], self.nonces[name]
        self.nonces[name] += 1
        if method or to == "":
            return signer.sign(nonce, to, method, args or [], gas_limit=2_000_000, max_fee=3_000)
        return signer.transfer(nonce, to, {"ETH": 5}, max_fee=3_000)

    def send(self, tx: Any) -> str:
        sent: str = self.rpc.call("accord_sendTransaction", {"transaction": tx})
        assert sent == tx["hash"], sent
        return sent

    def reorg(self, params: Any, headers: dict[str, str] | None = None) -> Any:
        """``accord_reorg``'s answer (result or error object)."""
        body = {"jsonrpc": "2.0", "id": 1, "method": "accord_reorg", "params": params}
        response = self.client.post("/admin/reorg", json=body, headers=AUTH | (headers or {}))
        assert response.status_code == 200, response.text
        answer = response.json()
        return answer["error"] if "error" in answer else answer["result"]

    def footprint(self) -> tuple[Any, ...]:
        """Everything a refused reorg must leave as it was."""
        device = self.node.device
        db = sqlite3.connect(f"file:{self.config.chain_path}?mode=ro", uri=True)
        try:
            records = db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
        finally:
            db.close()
        return (
            device.number,
            device.head.hash,
            device.state_hash(),
            sorted(device.mempool.txs),
            records,
            len(self.node.journal),
            dict(self.node.block_of),
        )

    def close(self) -> None:
        if self.client is not None:
            self.client.__exit__(None, None, None)
            self.node.close()
            self.client = None  # type: ignore[assignment]


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    signers = make_signers()
    c = Chain(finality_config(tmp_path / "data", signers), signers)
    yield c
    c.close()


def test_tags_name_the_blocks_ethereum_means(chain: Chain) -> None:
    rpc = chain.rpc
    for _ in range(5):
        rpc.block()
    device = chain.node.device
    assert (device.number, device.finalized) == (5, 3)
    numbers = {
        t: rpc.call("accord_getBlock", {"number": t})["number"]
        for t in ("latest", "finalized", "safe", "earliest")
    }
    assert numbers == {"latest": 5, "finalized": 3, "safe": 3, "earliest": 0}
    for tag, n in [*numbers.items(), ("0x2", 2), ("0X4", 4)]:
        eth = rpc.call("eth_getBlockByNumber", [tag, False])
        block = rpc.call("accord_getBlock", {"number": n})
        assert int(eth["number"], 16) == n
        assert eth["hash"] == "0x" + block["hash"]
        assert eth["parentHash"] == "0x" + block["parent_hash"]
        assert int(eth["timestamp"], 16) == block["timestamp"] // 1000
    assert rpc.call("eth_getBlockByNumber", ["0x6"]) is None
    assert rpc.call("accord_getBlock", {"number": 6}) is None
    info = rpc.call("accord_nodeInfo")
    assert info["finalized"] == 3 and info["config"]["finality_depth"] == 2
    for bad, says in [
        ("pending", "no pending block"),
        ("0x", "is not a number"),
        ("0xzz", "is not a number"),
        ("12", "is not a number"),
        ("LATEST", "is not a number"),
        ("0x" + "f" * 17, "is not a number"),
        ("", "at least 1 character"),
        (5, "valid string"),
    ]:
        error = rpc.call("eth_getBlockByNumber", [bad])
        assert error["code"] == -32602 and says in error["message"], (bad, error)
    error = rpc.call("accord_getBlock", {"number": "pending"})
    assert error["code"] == -32602


def test_with_depth_zero_the_finalized_block_is_the_head(tmp_path: Path) -> None:
    signers = make_signers()
    c = Chain(finality_config(tmp_path / "d", signers, finality_depth=0), signers)
    try:
        tx = c.send(c.tx("alice", "bob"))
        c.rpc.block()
        assert c.rpc.call("eth_getBlockByNumber", ["finalized"])["number"] == "0x1"
        assert c.rpc.call("accord_getTransactionReceipt", {"hash": tx})["finalized"] is True
    finally:
        c.close()


def test_a_receipt_says_whether_its_block_is_final(chain: Chain) -> None:
    tx = chain.send(chain.tx("alice", "bob"))
    chain.rpc.block()
    seen = []
    for _ in range(3):
        receipt = chain.rpc.call("accord_getTransactionReceipt", {"hash": tx})
        finalized = int(chain.rpc.call("eth_getBlockByNumber", ["finalized"])["number"], 16)
        # what an Ethereum client computes agrees with the field
        assert receipt["finalized"] is (receipt["block_number"] <= finalized)
        seen.append(receipt["finalized"])
        chain.rpc.block()
    assert seen == [False, False, True]


def _double_spend(chain: Chain) -> tuple[Any, Any, str]:
    """Block 1 deploys Odd; block 2 holds alice's payment to bob and a call; block 3 is
    empty. Returns the payment, the alternative double spend to carol and Odd's address."""
    deploy = chain.send(chain.tx("alice", "", ODD))
    chain.rpc.block()
    odd = chain.rpc.call("accord_getTransactionReceipt", {"hash": deploy})["contract_address"]
    pay = chain.tx("alice", "bob")
    chain.send(pay)
    chain.send(chain.tx("bob", odd, "give", ["int", 1]))
    chain.rpc.block()
    chain.rpc.block()
    # the same nonce, outbidding the payment (a reorg returns it to the pool first)
    double = chain.signers["alice"].transfer(
        pay["nonce"], "carol", {"ETH": 5}, max_fee=6_000, priority_fee=100
    )
    return pay, double, odd


def test_an_admin_reorg_double_spends_and_a_restart_replays_it(chain: Chain) -> None:
    pay, double, _ = _double_spend(chain)
    device = chain.node.device
    bob_before = device.balance("bob", "ETH")
    bob_fee = _fee(chain, 2, "bob")
    old_head = device.head.hash.hex()
    answer = chain.reorg({"depth": 2, "blocks": [[double], [], []], "builder": "bandit"})
    assert answer["fork_point"] == 1
    assert [b["number"] for b in answer["undone"]] == [2, 3]
    assert answer["undone"][-1]["hash"] == old_head
    assert [b["number"] for b in answer["built"]] == [2, 3, 4]
    assert answer["built"][0]["transactions"] == [double["hash"]]
    assert answer["head"] == {"number": 4, "hash": device.head.hash.hex()}
    assert answer["state_hash"] == device.state_hash().hex() and answer["finalized"] == 2
    assert [d["hash"] for d in answer["dropped"]] == [pay["hash"]]
    assert "nonce 1 of alice was used in the new branch" in answer["dropped"][0]["reason"]
    assert answer["refused"] == [] and len(answer["returned"]) == 1  # bob's call
    assert device.balance("carol", "ETH") == ETH + 5
    assert bob_before == ETH + 5 - bob_fee and bob_fee > 0
    assert device.balance("bob", "ETH") == ETH  # not paid; his call (pending again) undone
    assert chain.rpc.call("accord_getTransactionReceipt", {"hash": pay["hash"]}) is None
    assert chain.rpc.call("accord_getTransaction", {"hash": pay["hash"]}) is None
    receipt = chain.rpc.call("accord_getTransactionReceipt", {"hash": double["hash"]})
    assert (receipt["block_number"], receipt["finalized"]) == (2, True)
    assert chain.rpc.call("accord_getBlock", {"number": 4})["builder"] == "bandit"
    head, state = device.head.hash, device.state_hash()
    pending = sorted(device.mempool.txs)
    chain.close()

    again = Node.open(chain.config)
    try:
        assert again.device.number == 4
        assert (again.device.head.hash, again.device.state_hash()) == (head, state)
        assert sorted(again.device.mempool.txs) == pending  # bob's call, returned
        assert again.block_of[bytes.fromhex(double["hash"])] == 2
        assert bytes.fromhex(pay["hash"]) not in again.block_of
        block = again.produce()
        assert [tx.hash.hex() for tx in block.transactions] == answer["returned"]
    finally:
        again.close()
    replayed = replay(chain.config.chain_path)
    assert replayed.number == 5 and replayed.head.hash == block.header.hash


def test_get_proof_follows_a_reorg_and_a_restart(chain: Chain) -> None:
    """The node keeps receipts roots (forced on), so the alternative blocks a reorg
    builds carry their own: after the reorg a receipt reorged out has no proof, the one
    in the alternative block 2 proves against block 2's new hash (and not against the
    replaced block's), and so again after a restart (the log replayed)."""
    pay, double, _ = _double_spend(chain)
    device = chain.node.device
    assert device.config.receipts_roots
    before = chain.rpc.call("accord_getProof", {"hash": pay["hash"]})
    replaced = device.headers[2].hash
    assert verify_receipt_proof(before, replaced).receipt.tx_hash.hex() == pay["hash"]
    chain.reorg({"depth": 2, "blocks": [[double], [], []], "builder": "bandit"})
    assert chain.rpc.call("accord_getProof", {"hash": pay["hash"]}) is None
    proof = chain.rpc.call("accord_getProof", {"hash": double["hash"]})
    block_2 = chain.rpc.call("accord_getBlock", {"number": 2})["hash"]
    assert block_2 != replaced.hex()
    assert verify_receipt_proof(proof, block_2).receipt.tx_hash.hex() == double["hash"]
    with pytest.raises(InvalidProof):
        verify_receipt_proof(proof, replaced)
    chain.close()
    again = Node.open(chain.config)
    try:
        assert again.device.config.receipts_roots
        assert again.device.headers[2].hash.hex() == block_2
        block = again.device.blocks[2 - again.device.blocks[0].number]
        replayed = receipt_proof(block, bytes.fromhex(double["hash"]))
        assert replayed == proof
    finally:
        again.close()


def test_a_reorg_is_in_the_log_whole_or_not_at_all(chain: Chain) -> None:
    """The process dies while building the alternative's second block: the fork record
    and its first block were written in the same SQLite transaction, so a restart
    replays the chain as it was before the fork."""
    _, double, _ = _double_spend(chain)
    device = chain.node.device
    head, state = device.head.hash, device.state_hash()
    build = device._build_alternative
    calls = []

    def dies(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")
        return build(*args, **kwargs)

    device._build_alternative = dies  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        chain.node.reorg(2, [[_tx(double)], [], []])
    # the live device forked and its log did not: it seals nothing more, nor forks again
    with pytest.raises(NodeDiverged, match="restart the node"):
        chain.node.produce()
    with pytest.raises(NodeDiverged):
        chain.node.reorg(1, [[], []])
    again = Node.open(chain.config)
    try:
        assert again.device.number == 3
        assert (again.device.head.hash, again.device.state_hash()) == (head, state)
    finally:
        again.close()


def _fee(chain: Chain, number: int, sender: str) -> int:
    """What ``sender``'s transactions in block ``number`` paid in fees."""
    block = chain.node.device.blocks[number]
    return sum(
        r.fee_paid
        for tx, r in zip(block.transactions, block.receipts, strict=True)
        if tx.sender == sender
    )


def _tx(data: Any) -> Any:
    from accord.node.wire import transaction_from_json

    return transaction_from_json(data)


def test_the_admin_endpoint_needs_the_token_json_and_one_request(chain: Chain) -> None:
    for _ in range(3):
        chain.rpc.block()
    before = chain.footprint()
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "accord_reorg",
        "params": {"depth": 1, "blocks": [[], []]},
    }
    client = chain.client
    assert client.post("/admin/reorg", json=body).status_code == 401
    wrong = {"Authorization": "Bearer " + "x" * 30}
    assert client.post("/admin/reorg", json=body, headers=wrong).status_code == 401
    plain = client.post(
        "/admin/reorg", content=b"{}", headers=AUTH | {"content-type": "text/plain"}
    )
    assert plain.status_code == 415
    huge = client.post(
        "/admin/reorg",
        content=b" " * (2 << 20),
        headers=AUTH | {"content-type": "application/json"},
    )
    assert huge.status_code == 413
    cases = [
        (b"{", -32700),
        (b"[]", -32600),
        (
            b'[{"jsonrpc": "2.0", "id": 1, "method": "accord_reorg"}, {"jsonrpc": "2.0", "id": 2, '
            b'"method": "accord_reorg"}]',
            -32600,
        ),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "accord_getBalance", "params": {}}', -32601),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "accord_reorg", "params": {}}', -32602),
    ]
    for raw, code in cases:
        answer = client.post(
            "/admin/reorg", content=raw, headers=AUTH | {"content-type": "application/json"}
        ).json()
        assert answer["error"]["code"] == code, (raw, answer)
    assert chain.footprint() == before
    assert chain.reorg({"depth": 1, "blocks": [[], []]})["fork_point"] == 2


def test_a_node_without_a_token_refuses_reorgs(tmp_path: Path) -> None:
    signers = make_signers()
    config = finality_config(tmp_path / "d", signers)
    data = config.model_dump(mode="json")
    data["node"]["admin_token"] = None
    node = Node.open(type(config).model_validate(data))
    try:
        with TestClient(create_app(node)) as client:
            body = {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "accord_reorg",
                "params": {"depth": 1, "blocks": [[]]},
            }
            assert client.post("/admin/reorg", json=body, headers=AUTH).status_code == 403
    finally:
        node.close()


# -- hostile params ----------------------------------------------------------------------------
_junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def _hostile(draw: st.DrawFn, chain: Chain, honest: Any, forged: Any, other_chain: Any) -> Any:
    """Params for accord_reorg of which every one must be refused."""
    altered = {**honest, "nonce": honest["nonce"] + 1}
    good_blocks: list[list[Any]] = [[honest], [], []]
    kind = draw(st.sampled_from(["depth", "blocks", "item", "builder", "loses", "junk"]))
    params: dict[str, Any] = {"depth": 2, "blocks": good_blocks}
    if kind == "depth":
        params["depth"] = draw(
            st.sampled_from([None, "2", 2.0, True, [2], -1, 0, 3, 4, 10**30, -(10**30)])
        )
    elif kind == "blocks":
        params["blocks"] = draw(
            st.sampled_from([None, [], {}, "x", [None], [[1]], [["x"]], [[[]]]])
            | st.just([[] for _ in range(5)])  # more than depth + finality_depth blocks
            | st.just([[honest], [honest], []])  # the same transaction twice
        )
    elif kind == "item":
        bad = draw(
            st.sampled_from(
                [
                    forged,
                    altered,
                    other_chain,
                    {},
                    {"txs": []},
                    {**honest, "extra": 1},
                    {"txs": [honest], "max_block": -1},
                ]
            )
        )
        params["blocks"] = [[bad], [], []]
    elif kind == "builder":
        params["builder"] = draw(st.sampled_from(["", 5, ["b"], "x" * 201, True]))
    elif kind == "loses":
        params["blocks"] = draw(st.sampled_from([[[honest]], [[honest], []]]))  # not longer
    else:
        params = draw(
            st.dictionaries(st.sampled_from(["depth", "blocks", "builder", "x"]), _junk, max_size=3)
        )
        if type(params.get("depth")) is int and 1 <= params["depth"] <= 2:
            params["depth"] = 0  # junk, but never a fork that could win
    return params


def test_hostile_reorgs_are_refused_and_change_nothing(chain: Chain) -> None:
    """Generated hostile params (wrong types, too deep, too many blocks, forged, altered,
    duplicated or wrong-chain transactions, bad builders, losing forks, junk): each is
    a JSON-RPC error naming what is wrong, and the head, state, mempool, chain log,
    journal and receipts index are exactly as before."""
    _, double, _ = _double_spend(chain)
    chain.send(chain.tx("carol", "bob"))  # something pending
    stranger = Signer.generate("alice", chain_id=CHAIN_ID)  # alice's name, another key
    forged = stranger.transfer(0, "carol", {"ETH": 5}, max_fee=3_000)
    other_chain = Signer(
        chain.signers["alice"].private_key, "alice", chain_id=CHAIN_ID + 1
    ).transfer(0, "carol", {"ETH": 5}, max_fee=3_000)
    before = chain.footprint()

    @settings(
        max_examples=120,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(params=_hostile(chain, double, forged, other_chain))
    def check(params: Any) -> None:
        error = chain.reorg(params)
        assert isinstance(error, dict) and error.get("code") in (-32602, -32000), error
        assert "\n" not in error["message"]
        if error["code"] == -32000:
            assert error["data"]["error"] == "ForkRefused", error
        assert chain.footprint() == before

    check()
    assert chain.reorg({"depth": 2, "blocks": [[double], [], []]})["fork_point"] == 1


def test_the_explorer_follows_a_reorg(chain: Chain) -> None:
    """A deployment and a payment reorged out leave the explorer's lists; included
    again, they come back once."""
    rpc = chain.rpc
    rpc.block()
    deploy = chain.send(chain.tx("alice", "", ODD))
    pay = chain.send(chain.tx("alice", "bob"))
    rpc.block()
    rpc.block()

    def lists() -> tuple[Any, Any]:
        contracts = rpc.call("accord_listContracts", {})["contracts"]
        mine = rpc.call("accord_getAccountTransactions", {"account": "alice"})["transactions"]
        return [c["class"] for c in contracts], mine

    registry = "accord.device.commitments.registry:CommitmentRegistry"
    assert lists() == ([registry, ODD], [pay, deploy])
    answer = chain.reorg({"depth": 2, "blocks": [[], [], []]})
    assert sorted(answer["returned"]) == sorted([deploy, pay])
    assert lists() == ([registry], [])
    rpc.block()
    assert lists() == ([registry, ODD], [pay, deploy])
