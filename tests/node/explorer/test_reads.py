"""The explorer's read methods: real values on a chain built through the node's API,
paging, their bounds, a restart, and generated hostile params (one-line JSON-RPC errors,
nothing changed)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from accord.client import RemoteDevice
from accord.node import METHODS, SCHEMA, Node, create_app
from accord.node.explorer import EXPLORER_METHODS, MAX_LIMIT, index_of
from accord.node.explorer.reads import MAX_SKIP
from tests.node.conftest import TOKEN, Rpc
from tests.node.explorer.chain import (
    BIG,
    HOSTILE_LABEL,
    HOSTILE_NAME,
    HOSTILE_TAG,
    HOSTILE_URI,
    Chain,
    explorer_config,
    populate,
    signers,
)

Served = tuple[Node, Rpc, Chain]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    keys = signers()
    data = tmp_path_factory.mktemp("explorer-reads")
    node = Node.open(explorer_config(data / "data", keys))
    with TestClient(create_app(node)) as client:
        remote = RemoteDevice(
            client, keys={n: s.private_key for n, s in keys.items()}, admin_token=TOKEN
        )
        chain = populate(remote)
        # one transaction left pending, so that "nothing changed" covers the mempool too
        remote.submit(remote.sign(remote.account("carol"), "bob", value={"ETH": 2}))
        yield node, Rpc(client), chain
    node.close()


def test_accounts_balances_and_transactions(served: Served) -> None:
    node, rpc, chain = served
    page = rpc.call("accord_listAccounts", {"limit": 100})
    names = sorted(["alice", "bob", "carol", HOSTILE_NAME, "fed", "treasury"])
    assert page["total"] == 6 and [a["address"] for a in page["accounts"]] == names
    alice = next(a for a in page["accounts"] if a["address"] == "alice")
    assert alice["nonce"] == node.device.nonce("alice") == 8
    assert alice["balance"] == node.device.balance("alice", "ETH") < BIG
    assert (
        rpc.call("accord_listAccounts", {"offset": 2, "limit": 2})["accounts"]
        == page["accounts"][2:4]
    )
    balances = rpc.call("accord_getBalances", {"account": "alice"})
    assert balances["balances"] == [["ETH", alice["balance"]], ["USD", 990]]
    assert rpc.call("accord_getBalances", {"account": "nobody"})["balances"] == [
        ["ETH", 0],
        ["USD", 0],
    ]
    # alice's 8 transactions, newest first: the commitments' and the USD transfer last
    sent = rpc.call("accord_getAccountTransactions", {"account": "alice", "limit": 100})
    assert sent["total"] == 8 and sent["transactions"][-1] == chain.transfer
    numbers = [node.block_of[bytes.fromhex(h)] for h in sent["transactions"]]
    assert numbers == sorted(numbers, reverse=True)
    window = rpc.call(
        "accord_getAccountTransactions", {"account": "alice", "offset": 2, "limit": 3}
    )
    assert window["transactions"] == sent["transactions"][2:5]
    far = rpc.call("accord_getAccountTransactions", {"account": "alice", "offset": 10**15})
    assert far == {"account": "alice", "total": 8, "transactions": []}


def test_contracts_and_their_storage(served: Served) -> None:
    _, rpc, chain = served
    listed = rpc.call("accord_listContracts", {})
    assert listed["total"] == 4
    assert [c["address"] for c in listed["contracts"]] == [
        "commitments",
        chain.identity,
        chain.reputation,
        chain.validation,
    ]
    assert listed["contracts"][1]["class"] == "accord.contracts.agents.identity:IdentityRegistry"
    storage = rpc.call("accord_getStorage", {"address": chain.identity})
    assert storage["vars"] == {"next_id": 1}
    assert storage["maps"]["owners"] == 1 and storage["maps"]["approvals"] == 0
    assert "entries" not in storage
    owners = rpc.call("accord_getStorage", {"address": chain.identity, "map": "owners"})
    assert (owners["total"], owners["entries"]) == (1, [[0, "bob"]])
    metadata = rpc.call("accord_getStorage", {"address": chain.identity, "map": "metadata"})
    assert metadata["entries"] == [[[0, "note"], {"$bytes": HOSTILE_TAG.encode().hex()}]]
    uris = rpc.call("accord_getStorage", {"address": chain.identity, "map": "uris"})
    assert uris["entries"] == [[0, HOSTILE_URI]]
    assert rpc.call("accord_getStorage", {"address": "0xdead"}) is None
    missing = rpc.call("accord_getStorage", {"address": chain.identity, "map": "nope"})
    assert missing["code"] == -32602 and "has no map 'nope'" in missing["message"]


def test_commitments_pending_fired_and_expired(served: Served) -> None:
    node, rpc, chain = served
    pending = rpc.call("accord_listCommitments", {})
    assert pending["total"] == 1
    (entry,) = pending["commitments"]
    assert entry["id"] == chain.pending == "alice/later"
    posted = rpc.call("accord_getTransaction", {"hash": entry["posted_tx"]})["transaction"]
    assert posted["to"] == "commitments" and posted["args"] == [entry["document"]]
    fired = rpc.call("accord_listCommitments", {"status": "fired"})
    (outcome,) = fired["commitments"]
    assert outcome["id"] == chain.fired == f"alice/{HOSTILE_LABEL}"
    assert outcome["status"] == "settled" and outcome["error"] is None
    # it fired in the block that gave carol her 10 USD
    usd = rpc.call("accord_getAccountTransactions", {"account": "alice", "limit": 1})
    assert outcome["block_number"] == node.block_of[bytes.fromhex(usd["transactions"][0])]
    expired = rpc.call("accord_listCommitments", {"status": "expired"})
    (gone,) = expired["commitments"]
    assert (gone["id"], gone["status"]) == (chain.expired, "expired")
    document = rpc.call("accord_getTransaction", {"hash": gone["posted_tx"]})["transaction"]
    assert '"label":"never"' in document["args"][0]
    # its expiry is n + 3 for the head n before posting; it was posted in block n + 1
    posted_in = rpc.call("accord_getLogs", {"name": "Posted"})[1]["block_number"]
    assert gone["block_number"] == posted_in - 1 + 3


def test_agents_identity_reputation_and_validation(served: Served) -> None:
    _, rpc, chain = served
    listed = rpc.call("accord_listAgents", {})
    assert listed["registries"] == [
        {
            "identity": chain.identity,
            "reputation": [chain.reputation],
            "validation": [chain.validation],
        }
    ]
    assert listed["registry"] == chain.identity and listed["total"] == 1
    assert listed["agents"] == [{"agentId": 0, "owner": "bob", "uri": HOSTILE_URI, "wallet": "bob"}]
    agent = rpc.call("accord_getAgent", {"registry": chain.identity, "agentId": chain.agent})
    (reputation,) = agent["reputation"]
    assert reputation["summary"] == [1, 87, 0]  # one client's 87 with 0 decimals
    assert reputation["feedback"] == [
        {
            "client": "carol",
            "index": 1,
            "value": 87,
            "valueDecimals": 0,
            "tag1": HOSTILE_TAG,
            "tag2": "speed",
            "revoked": False,
        }
    ]
    (validation,) = agent["validation"]
    assert validation["summary"] == [1, 90]
    (request,) = validation["requests"]
    assert (request["requestHash"], request["validator"], request["response"]) == (
        "11" * 32,
        "carol",
        90,
    )
    assert request["tag"] == "audit"
    assert rpc.call("accord_getAgent", {"registry": chain.identity, "agentId": 5}) is None
    wrong = rpc.call("accord_getAgent", {"registry": chain.reputation, "agentId": 0})
    assert wrong["code"] == -32602 and "no ERC-8004 identity registry" in wrong["message"]
    empty = rpc.call("accord_listAgents", {"registry": chain.identity, "offset": 7})
    assert empty["agents"] == [] and empty["total"] == 1


def test_every_method_is_in_the_table_and_the_schema() -> None:
    for name, method in EXPLORER_METHODS.items():
        assert METHODS[name] is method
        schema = SCHEMA[name]["params"]
        assert schema["additionalProperties"] is False
        if "limit" in schema["properties"]:
            assert schema["properties"]["limit"]["maximum"] == MAX_LIMIT


def test_limits_are_enforced(served: Served) -> None:
    _, rpc, chain = served
    needs: dict[str, dict[str, Any]] = {
        "accord_getBalances": {"account": "alice"},
        "accord_getAccountTransactions": {"account": "alice"},
        "accord_getStorage": {"address": chain.identity, "map": "owners"},
        "accord_getAgent": {"registry": chain.identity, "agentId": 0},
    }
    for name in EXPLORER_METHODS:
        params = needs.get(name, {})
        assert "code" not in rpc.call(name, {**params, "limit": MAX_LIMIT}), name
        answer = rpc.call(name, {**params, "limit": MAX_LIMIT + 1})
        assert answer["code"] == -32602, name
        assert answer["message"].startswith("invalid params: limit: "), answer
        negative = rpc.call(name, {**params, "offset": -1})
        if "offset" in EXPLORER_METHODS[name].params.model_fields:
            assert negative["message"].startswith("invalid params: offset: "), answer


def test_skipping_into_a_table_is_bounded(served: Served) -> None:
    _, rpc, chain = served
    for name, params in (
        ("accord_getStorage", {"address": chain.identity, "map": "owners"}),
        ("accord_getBalances", {"account": "alice"}),
        ("accord_listCommitments", {"status": "pending"}),
    ):
        assert "code" not in rpc.call(name, {**params, "offset": MAX_SKIP})
        answer = rpc.call(name, {**params, "offset": MAX_SKIP + 1})
        assert answer["code"] == -32602
        assert (
            answer["message"]
            == f"invalid params: offset: at most {MAX_SKIP} in this table, got {MAX_SKIP + 1}"
        )
    # the index's own lists are sliced, not skipped: any offset is cheap there
    far = rpc.call("accord_listCommitments", {"status": "fired", "offset": 10**15})
    assert far["commitments"] == [] and far["total"] == 1


def test_a_restarted_node_indexes_the_same(served: Served, tmp_path: Path) -> None:
    """The index of a node resumed from its log equals the live one's."""
    node, _, _ = served
    live = index_of(node)
    copy = tmp_path / "data"
    copy.mkdir()
    source, dest = sqlite3.connect(node.config.chain_path), sqlite3.connect(copy / "chain.db")
    source.backup(dest)
    dest.execute("PRAGMA journal_mode=DELETE")  # as Node.snapshot copies a log
    source.close()
    dest.close()
    settings = node.config.node.model_copy(update={"data_dir": copy})
    again = Node.open(node.config.model_copy(update={"node": settings}))
    try:
        resumed = index_of(again)
        for name in ("contracts", "by_sender", "posted", "fired", "expired", "identities"):
            assert getattr(resumed, name) == getattr(live, name), name
        assert resumed.reputations == live.reputations and resumed.validations == live.validations
    finally:
        again.close()


def _footprint(node: Node) -> tuple[Any, ...]:
    index = index_of(node)
    return (
        node.device.state_hash(),
        node.device.ledger.meter.used,
        len(node.device.mempool),
        node.device.number,
        len(index.contracts),
        len(index.fired),
        sum(len(v) for v in index.by_sender.values()),
    )


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text(max_size=30)
    | st.sampled_from(
        ["pending", "fired", "expired", "alice", "0x", "owners", "commitments", "identity"]
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_FIELDS = ["offset", "limit", "account", "address", "map", "status", "registry", "agentId", "x"]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(sorted(EXPLORER_METHODS)),
    params=st.dictionaries(st.sampled_from(_FIELDS), _JSON, max_size=5)
    | st.lists(_JSON, max_size=6),
)
def test_hostile_params_get_json_rpc_errors_and_change_nothing(
    served: Served, name: str, params: Any
) -> None:
    node, rpc, chain = served
    if isinstance(params, dict) and params.get("registry") == "identity":
        params["registry"] = chain.identity
    before = _footprint(node)
    answer = rpc.call(name, params)
    if isinstance(answer, dict) and "code" in answer and "message" in answer:
        assert answer["code"] == -32602, answer
        assert "\n" not in answer["message"] and answer["message"].startswith("invalid params")
    assert _footprint(node) == before
