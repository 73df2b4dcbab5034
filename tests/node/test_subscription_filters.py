"""Subscriptions to logs (filtered by contract address and event name) and to one
transaction's receipt: what arrives equals what accord_getLogs and
accord_getTransactionReceipt answer; hostile params are refused in one line and change
nothing; a logs subscriber that stops reading is dropped at its queue's bound."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from accord.node import Node, Signer, create_app
from accord.node.config import Limits
from accord.node.subscriptions import Hub
from tests.node.conftest import Rpc, make_signers
from tests.node.test_proofs import ODD, proof_config


def _request(ws: Any, params: Any, request_id: int = 1, method: str = "accord_subscribe") -> Any:
    ws.send_text(
        json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
    )
    return ws.receive_json()


class World:
    """A node with two Odd contracts deployed, and a way to call them."""

    def __init__(self, tmp_path: Path) -> None:
        self.signers = make_signers()
        self.node = Node.open(proof_config(tmp_path / "data", self.signers))
        self.client = TestClient(create_app(self.node))
        self.client.__enter__()
        self.rpc = Rpc(self.client)
        self.nonces = {"alice": 0, "bob": 0, "carol": 0}
        self.contracts = [self.deploy(), self.deploy()]

    def send(self, name: str, to: str, method: str = "", args: list[Any] | None = None) -> str:
        signer: Signer = self.signers[name]
        nonce = self.nonces[name]
        self.nonces[name] += 1
        if not method and to != "":
            tx = signer.transfer(nonce, to, {"ETH": 1}, max_fee=3_000)
        else:
            tx = signer.sign(nonce, to, method, args or [], gas_limit=2_000_000, max_fee=3_000)
        tx_hash: str = self.rpc.call("accord_sendTransaction", {"transaction": tx})
        return tx_hash

    def deploy(self) -> str:
        tx_hash = self.send("alice", "", ODD)
        self.rpc.block()
        address: str = self.rpc.call("accord_getTransactionReceipt", {"hash": tx_hash})[
            "contract_address"
        ]
        return address

    def close(self) -> None:
        self.client.__exit__(None, None, None)
        self.node.close()


@pytest.fixture
def world(tmp_path: Path) -> Any:
    w = World(tmp_path)
    yield w
    w.close()


def _notes(ws: Any, count: int) -> list[Any]:
    return [ws.receive_json()["params"] for _ in range(count)]


def test_logs_arrive_filtered_as_get_logs_answers(world: World) -> None:
    a, b = world.contracts
    filters: list[dict[str, Any]] = [
        {},
        {"address": a},
        {"name": "Gave"},
        {"address": b, "name": "Gave"},
        {"address": a, "name": "Nothing"},
        {"address": None, "name": None},
    ]
    with world.client.websocket_connect("/ws") as ws:
        ws.receive_json()  # welcome
        ids = []
        for i, f in enumerate(filters):
            answer = _request(ws, {"topic": "logs", **f}, i + 1)
            ids.append(answer["result"])
        heads = _request(ws, {"topic": "newHeads"}, 99)["result"]
        first = world.rpc.call("eth_blockNumber")
        for round_ in range(3):
            world.send("bob", a, "give", ["int", round_])
            world.send("carol", b, "give", ["dict", round_])
            world.send("bob", a, "quiet", [round_])  # no event
            world.send("carol", "alice")  # a transfer: no event
            world.rpc.block()
        expected = {}
        for sub_id, f in zip(ids, filters, strict=True):
            expected[sub_id] = world.rpc.call(
                "accord_getLogs",
                {"from_block": int(first, 16) + 1, **{k: v for k, v in f.items() if v}},
            )
        got: dict[str, list[Any]] = {sub_id: [] for sub_id in ids}
        head_count = 0
        total = sum(len(v) for v in expected.values())
        while head_count < 3 or sum(len(v) for v in got.values()) < total:
            note = ws.receive_json()["params"]
            if note["subscription"] == heads:
                head_count += 1
            else:
                got[note["subscription"]].append(note["result"])
        assert got == expected
        assert len(got[ids[0]]) == 6 and len(got[ids[1]]) == 3 and len(got[ids[3]]) == 3
        assert got[ids[4]] == []


def test_one_transactions_receipt_arrives_once_then_the_subscription_ends(
    world: World,
) -> None:
    a = world.contracts[0]
    with world.client.websocket_connect("/ws") as ws:
        ws.receive_json()
        tx_hash = world.send("bob", a, "give", ["dict", 7])
        sub = _request(ws, {"topic": "transactionReceipt", "hash": "0x" + tx_hash})["result"]
        never = _request(ws, {"topic": "transactionReceipt", "hash": "ab" * 32}, 2)["result"]
        heads = _request(ws, {"topic": "newHeads"}, 3)["result"]
        world.rpc.block()
        head = ws.receive_json()["params"]
        assert head["subscription"] == heads
        note = ws.receive_json()["params"]
        receipt = world.rpc.call("accord_getTransactionReceipt", {"hash": tx_hash})
        assert note == {"subscription": sub, "result": receipt}
        ended = _request(ws, {"subscription": sub}, 4, "accord_unsubscribe")
        assert ended["result"] is False  # it ended by itself
        world.rpc.block()  # nothing more for it; the other still waits
        assert ws.receive_json()["params"]["subscription"] == heads
        assert _request(ws, {"subscription": never}, 5, "accord_unsubscribe")["result"] is True
        # already included: the subscription's id, then the receipt at once
        late = _request(ws, {"topic": "transactionReceipt", "hash": tx_hash}, 6)
        again = ws.receive_json()["params"]
        assert again == {"subscription": late["result"], "result": receipt}
        assert (
            _request(ws, {"subscription": late["result"]}, 7, "accord_unsubscribe")["result"]
            is False
        )


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"topic": "transactionReceipt"}, "hash: expected a hex string"),
        ({"topic": "transactionReceipt", "hash": 5}, "hash: expected a hex string"),
        ({"topic": "transactionReceipt", "hash": "ab"}, "expected 32 bytes"),
        ({"topic": "transactionReceipt", "hash": "zz" * 32}, "hash: not hex"),
        ({"topic": "transactionReceipt", "hash": "ab" * 32, "name": "x"}, "unknown field 'name'"),
        ({"topic": "logs", "address": 5}, "address: a string of 1 to 200"),
        ({"topic": "logs", "name": ""}, "name: a string of 1 to 200"),
        ({"topic": "logs", "name": "x" * 201}, "name: a string of 1 to 200"),
        ({"topic": "logs", "name": ["Gave"]}, "name: a string"),
        ({"topic": "logs", "hash": "ab" * 32}, "unknown field 'hash'"),
        ({"topic": "newHeads", "address": "0x1"}, "unknown field 'address'"),
        ({"topic": ["logs"]}, "topic 'list'"),
        ({"topic": {"logs": 1}}, "topic 'dict'"),
    ],
)
def test_hostile_filters_are_refused_in_one_line(world: World, params: Any, words: str) -> None:
    state = world.node.device.state_hash()
    with world.client.websocket_connect("/ws") as ws:
        ws.receive_json()
        error = _request(ws, params)["error"]
        assert error["code"] == -32602 and words in error["message"], error
        assert "\n" not in error["message"]
        assert _request(ws, {"topic": "newHeads"}, 2)["result"] == "0x1"  # nothing was added
    assert world.node.device.state_hash() == state


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=70),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    topic=st.sampled_from(["logs", "transactionReceipt", "receipts", "x"]) | _json,
    extra=st.dictionaries(
        st.sampled_from(["address", "name", "hash", "account", "signature", "x"]), _json
    ),
)
def test_generated_params_get_an_id_or_a_json_rpc_error(
    world: World, topic: Any, extra: dict[str, Any]
) -> None:
    hub = Hub(world.node, Limits())
    sub = hub.join()
    assert sub is not None
    text = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "accord_subscribe",
            "params": {"topic": topic, **extra},
        }
    )
    answer = json.loads(hub.handle(sub, text))
    assert ("result" in answer) != ("error" in answer)
    if "error" in answer:
        assert answer["error"]["code"] in (-32602, -32005)
        assert not sub.topics and not sub.filters
    else:
        assert sub.topics == {answer["result"]: topic}
    hub.leave(sub)


def test_a_logs_subscriber_that_stops_reading_is_dropped_at_its_bound(world: World) -> None:
    """Publishing only fills bounded queues: 8 blocks of 5 events each to a subscriber
    with room for 16 messages that never reads, and to one that reads after each block.
    The first is dropped (its queue freed) and block production never waits; the second
    gets all 40 logs."""
    a = world.contracts[0]
    hub = Hub(world.node, Limits(ws_queue=16))
    world.node.watchers.append(hub)
    stuck, reader = hub.join(), hub.join()
    assert stuck is not None and reader is not None
    for sub in (stuck, reader):
        sub.queue.get_nowait()  # the welcome
        subscribe = {"jsonrpc": "2.0", "id": 1, "method": "accord_subscribe"}
        hub.handle(sub, json.dumps({**subscribe, "params": {"topic": "logs", "address": a}}))
    received = []
    for round_ in range(8):
        for i in range(5):
            world.send(("bob", "carol", "alice")[i % 3], a, "give", ["int", round_ * 5 + i])
        world.rpc.block()
        while not reader.queue.empty():
            received.append(json.loads(reader.queue.get_nowait())["params"]["result"])
    assert stuck.dropped.is_set() and stuck.queue.empty()
    assert not reader.dropped.is_set()
    assert [r["data"]["n"] for r in received] == list(range(40))
    world.node.watchers.remove(hub)
