"""Subscriptions across reorgs and finality (issue 16): ``newHeads`` gets a reorg notice
and then the new branch's heads, ``logs`` gets each log of the replaced blocks again
with ``removed: true``, and ``newFinalizedHeads`` announces each block once, when it
becomes final. A client that follows the streams ends with the node's canonical chain,
its logs and its final blocks, over generated histories of blocks and reorgs."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.device import Rejected
from accord.node import Node, Signer
from accord.node.config import Limits
from accord.node.subscriptions import Hub, Subscriber
from accord.node.wire import transaction_from_json
from tests.node.conftest import make_signers
from tests.node.test_finality import Chain, _double_spend, finality_config
from tests.node.test_proofs import ODD

TOPICS = ("newHeads", "newFinalizedHeads", "logs", "receipts")


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    signers = make_signers()
    c = Chain(finality_config(tmp_path / "data", signers), signers)
    yield c
    c.close()


def _subscribe(ws: Any, topic: str, request_id: int) -> str:
    ws.send_text(
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": request_id,
                "method": "accord_subscribe",
                "params": {"topic": topic},
            }
        )
    )
    answer = ws.receive_json()
    assert answer["id"] == request_id, answer
    sub_id: str = answer["result"]
    return sub_id


def test_a_reorg_over_the_websocket(chain: Chain) -> None:
    with chain.client.websocket_connect("/ws") as ws:
        assert "newFinalizedHeads" in ws.receive_json()["params"]["topics"]
        ids = {_subscribe(ws, t, i): t for i, t in enumerate(TOPICS[:3])}
        _, double, odd = _double_spend(chain)  # blocks 1 (deploy), 2 (pay, give), 3
        old = [chain.rpc.call("accord_getBlock", {"number": n})["hash"] for n in (1, 2, 3)]
        answer = chain.reorg({"depth": 2, "blocks": [[double], [], []]})
        chain.rpc.block()  # block 5: bob's give, returned by the reorg
        new = [chain.rpc.call("accord_getBlock", {"number": n})["hash"] for n in range(1, 6)]
        got: dict[str, list[Any]] = {t: [] for t in TOPICS[:3]}
        while len(got["newFinalizedHeads"]) < 3:
            note = ws.receive_json()["params"]
            got[ids[note["subscription"]]].append(note["result"])
    heads = [h.get("hash") or h for h in got["newHeads"]]
    notice = {
        "reorg": {
            "fork_point": 1,
            "depth": 2,
            "removed": [{"number": 2, "hash": old[1]}, {"number": 3, "hash": old[2]}],
            "added": [{"number": n, "hash": new[n - 1]} for n in (2, 3, 4)],
        }
    }
    assert heads == [*old, notice, *new[1:]]
    assert answer["built"][0]["hash"] == new[1] != old[1]
    assert [h["number"] for h in got["newFinalizedHeads"]] == [1, 2, 3]
    assert [h["hash"] for h in got["newFinalizedHeads"]] == new[:3]
    logs = got["logs"]
    assert [(g["block_number"], g["removed"], g["name"]) for g in logs] == [
        (2, False, "Gave"),
        (2, True, "Gave"),
        (5, False, "Gave"),
    ]
    assert logs[0]["tx_hash"] == logs[1]["tx_hash"] == logs[2]["tx_hash"]
    assert logs[0]["address"] == odd
    assert [{**g, "removed": False} for g in logs[2:]] == chain.rpc.call(
        "accord_getLogs", {"from_block": 0}
    )


def test_with_depth_zero_each_block_is_final_at_its_seal(tmp_path: Path) -> None:
    signers = make_signers()
    c = Chain(finality_config(tmp_path / "d", signers, finality_depth=0), signers)
    try:
        with c.client.websocket_connect("/ws") as ws:
            ws.receive_json()
            _subscribe(ws, "newFinalizedHeads", 1)
            for _ in range(3):
                block = c.rpc.block()
                head = ws.receive_json()["params"]["result"]
                assert (head["number"], head["hash"]) == (block["number"], block["hash"])
    finally:
        c.close()


# -- generated histories --------------------------------------------------------------------
class Follower:
    """A client that follows the four streams and rebuilds what they describe."""

    def __init__(self, hub: Hub) -> None:
        sub = hub.join()
        assert sub is not None
        self.sub: Subscriber = sub
        self.sub.queue.get_nowait()  # the welcome
        self.topic: dict[str, str] = {}
        for i, topic in enumerate(TOPICS):
            request = {"jsonrpc": "2.0", "id": i, "method": "accord_subscribe"}
            answer = json.loads(
                hub.handle(sub, json.dumps({**request, "params": {"topic": topic}}))
            )
            self.topic[answer["result"]] = topic
        self.chain: list[str] = []  # hashes of blocks 1.. as newHeads described them
        self.final: list[tuple[int, str]] = []
        self.logs: dict[tuple[int, str, int], dict[str, Any]] = {}
        self.receipts: dict[str, int] = {}

    def drain(self) -> None:
        queue = self.sub.queue
        while not queue.empty():
            params = json.loads(queue.get_nowait())["params"]
            topic, result = self.topic[params["subscription"]], params["result"]
            if topic == "newHeads" and "reorg" in result:
                reorg = result["reorg"]
                point = reorg["fork_point"]
                removed = [r["hash"] for r in reorg["removed"]]
                assert self.chain[point:] == removed  # it names the blocks we hold
                assert [r["number"] for r in reorg["removed"]] == list(
                    range(point + 1, point + 1 + len(removed))
                )
                del self.chain[point:]
            elif topic == "newHeads":
                assert result["number"] == len(self.chain) + 1  # each head extends ours
                assert not self.chain or result["parent_hash"] == self.chain[-1]
                self.chain.append(result["hash"])
            elif topic == "newFinalizedHeads":
                self.final.append((result["number"], result["hash"]))
            elif topic == "logs":
                key = (result["block_number"], result["tx_hash"], result["index"])
                if result["removed"]:
                    assert self.logs.pop(key) == {**result, "removed": False}
                else:
                    assert key not in self.logs
                    self.logs[key] = result
            else:
                self.receipts[result["tx_hash"]] = result["block_number"]


@st.composite
def _history(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    """Up to 12 steps: a block of 0-3 calls, or a fork of any allowed depth whose blocks
    hold 0-2 calls each (new calls, the nonce after the pending ones)."""
    steps: list[tuple[Any, ...]] = []
    head, k = 1, 3  # block 1 deploys (no fork undoes it)
    for _ in range(draw(st.integers(3, 12))):
        if head >= 2 and draw(st.booleans()):
            depth = draw(st.integers(1, min(k, head - 1)))
            blocks = draw(st.lists(st.integers(0, 2), min_size=depth + 1, max_size=depth + k))
            steps.append(("reorg", depth, blocks))
            head += len(blocks) - depth
        else:
            steps.append(("block", draw(st.integers(0, 3))))
            head += 1
    return steps


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(steps=_history())
def test_a_follower_of_the_streams_ends_with_the_canonical_chain(
    steps: list[tuple[Any, ...]],
) -> None:
    signers = make_signers()
    with tempfile.TemporaryDirectory() as folder:
        node = Node.open(finality_config(Path(folder), signers, finality_depth=3))
        try:
            _follow(node, signers, steps)
        finally:
            node.close()


def _follow(node: Node, signers: dict[str, Signer], steps: list[tuple[Any, ...]]) -> None:
    hub = Hub(node, Limits(ws_queue=10_000))
    node.watchers.append(hub)
    follower = Follower(hub)
    alice = signers["alice"]
    node.send(transaction_from_json(alice.sign(0, "", ODD, gas_limit=2_000_000, max_fee=3_000)))
    node.produce()
    odd = node.device.blocks[1].receipts[0].contract_address
    assert odd is not None
    calls = iter(range(10_000))

    def call() -> Any:
        name = ("alice", "bob", "carol")[next(calls) % 3]
        nonce = node.device.next_nonce(name)
        data = signers[name].sign(nonce, odd, "give", ["int", 1], gas_limit=300_000, max_fee=3_000)
        return transaction_from_json(data)

    def send() -> Any:
        tx = call()
        try:
            node.send(tx)
        except Rejected:  # the sender's pending slots are full: leave it out
            return None
        return tx

    for step in steps:
        if step[0] == "block":
            for _ in range(step[1]):
                send()
            node.produce()
        else:
            _, depth, sizes = step
            blocks = []
            for size in sizes:  # each new call pending first, so the next nonce moves on
                blocks.append([tx for tx in (send() for _ in range(size)) if tx is not None])
            node.reorg(depth, blocks, "bandit")
        follower.drain()

    device = node.device
    assert follower.chain == [b.header.hash.hex() for b in list(device.blocks)[1:]]
    final = device.finalized
    assert follower.final == [(n, device.blocks[n].header.hash.hex()) for n in range(1, final + 1)]
    canonical = {
        (b.number, r.tx_hash.hex(), i)
        for b in device.blocks
        for r in b.receipts
        for i, _ in enumerate(r.events)
    }
    assert set(follower.logs) == canonical
    for tx_hash, number in node.block_of.items():  # the last receipt seen is canonical
        assert follower.receipts[tx_hash.hex()] == number
