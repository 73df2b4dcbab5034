"""WebSocket subscriptions: blocks, receipts, the mempool under its visibility rule, and
clients that misbehave (``docs/node.md``, "Subscriptions")."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from accord.node import Node, Signer, create_app
from accord.node.subscriptions import CHALLENGE_PREFIX
from tests.node.conftest import Rpc, make_config


def _open(tmp_path: Path, signers: dict[str, Signer], mempool: str, **limits: Any) -> Node:
    config = make_config(tmp_path / mempool, signers, limits=limits)
    device = config.device.model_copy(update={"mempool": mempool})
    return Node.open(config.model_copy(update={"device": device}))


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node)) as c:
        yield c


def _request(ws: Any, method: str, params: Any, request_id: int = 1) -> Any:
    ws.send_text(
        json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
    )
    return ws.receive_json()


def _welcome(ws: Any) -> str:
    hello = ws.receive_json()
    assert hello["method"] == "accord_welcome"
    challenge: str = hello["params"]["challenge"]
    assert len(challenge) == 32
    return challenge


def _prove(signer: Signer, challenge: str) -> str:
    return signer.sign_message(CHALLENGE_PREFIX + challenge.encode()).hex()


def test_new_heads_and_receipts_arrive_as_blocks_are_sealed(
    client: TestClient, node: Node, signers: dict[str, Signer]
) -> None:
    rpc = Rpc(client)
    with client.websocket_connect("/ws") as ws:
        _welcome(ws)
        heads = _request(ws, "accord_subscribe", {"topic": "newHeads"})["result"]
        receipts = _request(ws, "accord_subscribe", {"topic": "receipts"}, 2)["result"]
        assert (heads, receipts) == ("0x1", "0x2")
        tx = signers["alice"].transfer(0, "bob", {"ETH": 9}, max_fee=3_000)
        assert rpc.call("accord_sendTransaction", {"transaction": tx}) == tx["hash"]
        sealed = rpc.block()
        head = ws.receive_json()["params"]
        assert head["subscription"] == heads
        assert head["result"]["number"] == 1 == node.device.number
        assert head["result"]["state_hash"] == sealed["state_hash"]
        assert head["result"]["transactions"] == [tx["hash"]]
        receipt = ws.receive_json()["params"]
        assert receipt["subscription"] == receipts
        assert receipt["result"]["tx_hash"] == tx["hash"]
        assert (receipt["result"]["status"], receipt["result"]["block_number"]) == ("success", 1)
        assert _request(ws, "accord_unsubscribe", {"subscription": heads}, 3)["result"] is True
        assert _request(ws, "accord_unsubscribe", {"subscription": heads}, 4)["result"] is False
        rpc.block()
        rpc.block()  # an empty block: no receipts, and no newHeads any more
        assert _request(ws, "accord_subscribe", {"topic": "newHeads"}, 5)["result"] == "0x3"


def _mempool_run(node: Node, signers: dict[str, Signer]) -> tuple[list[Any], list[Any]]:
    """What an anonymous client and alice (proven by her key) see of the mempool while
    alice and bob each send a transfer; each ends with the next newHeads."""
    with TestClient(create_app(node)) as client:
        rpc = Rpc(client)
        with client.websocket_connect("/ws") as anon, client.websocket_connect("/ws") as mine:
            _welcome(anon)
            challenge = _welcome(mine)
            for ws in (anon, mine):
                _request(ws, "accord_subscribe", {"topic": "newHeads"})
            _request(anon, "accord_subscribe", {"topic": "pendingTransactions"}, 2)
            proof = {"account": "alice", "signature": _prove(signers["alice"], challenge)}
            assert (
                _request(mine, "accord_subscribe", {"topic": "pendingTransactions", **proof}, 2)[
                    "result"
                ]
                == "0x2"
            )
            a = signers["alice"].transfer(0, "carol", {"ETH": 1}, max_fee=3_000)
            b = signers["bob"].transfer(0, "carol", {"ETH": 2}, max_fee=3_000)
            for tx in (a, b):
                rpc.call("accord_sendTransaction", {"transaction": tx})
            rpc.block()
            seen = []
            for ws in (anon, mine):
                got = []
                while True:
                    message = ws.receive_json()["params"]["result"]
                    if "state_hash" in message:
                        got.append("head")
                        break
                    got.append(message["hash"])
                seen.append(got)
            return [seen[0], [a["hash"], b["hash"]]], [seen[1], [a["hash"]]]


@pytest.mark.parametrize("mempool", ["public", "private", "sealed"])
def test_the_mempool_as_each_client_may_see_it(
    tmp_path: Path, signers: dict[str, Signer], mempool: str
) -> None:
    node = _open(tmp_path, signers, mempool)
    try:
        (anon, both), (mine, alices) = _mempool_run(node, signers)
    finally:
        node.close()
    if mempool == "public":
        assert anon == [*both, "head"] and mine == [*both, "head"]
    else:  # private: only one's own; sealed: nothing of anyone else's before inclusion
        assert anon == ["head"] and mine == [*alices, "head"]


def test_malformed_and_hostile_messages_get_one_line_errors(
    tmp_path: Path, signers: dict[str, Signer]
) -> None:
    node = _open(tmp_path, signers, "private", ws_subscriptions=2)
    try:
        with TestClient(create_app(node)) as client, client.websocket_connect("/ws") as ws:
            challenge = _welcome(ws)
            cases: list[tuple[str, int, str]] = [
                ("{not json", -32700, "parse error"),
                ("NaN", -32700, "parse error"),
                ("[1, 2]", -32600, "not an object"),
                ('{"jsonrpc": "2.0", "method": "accord_subscribe"}', -32600, "an id"),
                ('{"jsonrpc": "1.0", "id": 1, "method": "accord_subscribe"}', -32600, "2.0"),
                ('{"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe"}', -32601, "eth_subscribe"),
                ('{"jsonrpc": "2.0", "id": [], "method": "x"}', -32600, "an id"),
                (
                    '{"jsonrpc": "2.0", "id": 1, "method": "accord_subscribe", "params": [1]}',
                    -32602,
                    "object",
                ),
            ]
            for text, code, words in cases:
                ws.send_text(text)
                error = ws.receive_json()["error"]
                assert error["code"] == code and words in error["message"], (text, error)
                assert "\n" not in error["message"]
            params_cases: list[tuple[Any, str]] = [
                ({"topic": "blocks"}, "topic 'blocks' is not one of"),
                ({"topic": 5}, "topic 'int'"),
                ({}, "topic 'NoneType'"),
                ({"topic": "newHeads", "evil": 1}, "unknown field 'evil'"),
                ({"topic": "pendingTransactions", "account": "alice"}, "signature"),
                (
                    {"topic": "pendingTransactions", "account": "alice", "signature": "zz" * 64},
                    "signature",
                ),
                (  # bob's signature of the challenge does not make him alice
                    {
                        "topic": "pendingTransactions",
                        "account": "alice",
                        "signature": _prove(signers["bob"], challenge),
                    },
                    "signature",
                ),
                (  # alice's signature of another connection's challenge
                    {
                        "topic": "pendingTransactions",
                        "account": "alice",
                        "signature": _prove(signers["alice"], "00" * 16),
                    },
                    "signature",
                ),
            ]
            for params, words in params_cases:
                error = _request(ws, "accord_subscribe", params)["error"]
                assert error["code"] == -32602 and words in error["message"], (params, error)
            for params in ([], {"subscription": 1}, {"subscription": "0x1", "x": 1}):
                error = _request(ws, "accord_unsubscribe", params)["error"]
                assert error["code"] == -32602
            assert _request(ws, "accord_subscribe", {"topic": "newHeads"})["result"] == "0x1"
            assert _request(ws, "accord_subscribe", {"topic": "receipts"})["result"] == "0x2"
            too_many = _request(ws, "accord_subscribe", {"topic": "newHeads"})["error"]
            assert too_many["code"] == -32005 and "2 subscriptions" in too_many["message"]
        assert node.device.number == 0 and len(node.device.mempool) == 0
    finally:
        node.close()


def test_too_many_clients_are_turned_away(tmp_path: Path, signers: dict[str, Signer]) -> None:
    node = _open(tmp_path, signers, "public", ws_clients=1)
    try:
        with TestClient(create_app(node)) as client, client.websocket_connect("/ws") as first:
            _welcome(first)
            with client.websocket_connect("/ws") as second:
                with pytest.raises(WebSocketDisconnect) as closed:
                    second.receive_json()
                assert closed.value.code == 1013
    finally:
        node.close()


def test_a_client_that_never_reads_cannot_stall_block_production(
    tmp_path: Path, signers: dict[str, Signer]
) -> None:
    """The app driven directly: one client's ``send`` never returns (it never reads,
    its socket buffers are full), another reads everything. Blocks are sealed without
    waiting; the stuck client is dropped with 1008 once its queue of 8 is full; the
    reader gets every head."""
    node = _open(tmp_path, signers, "public", ws_queue=8)
    app = create_app(node)
    blocks = 40

    async def run() -> tuple[list[Any], list[str]]:
        closed: list[Any] = []
        read: list[str] = []
        subscribe = json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "accord_subscribe",
                "params": {"topic": "newHeads"},
            }
        )

        def client(stuck: bool) -> tuple[Any, Any]:
            inbox: list[dict[str, Any]] = [
                {"type": "websocket.connect"},
                {"type": "websocket.receive", "text": subscribe},
            ]

            async def receive() -> dict[str, Any]:
                if inbox:
                    return inbox.pop(0)
                await asyncio.Event().wait()  # the client says nothing more
                raise AssertionError

            async def send(message: dict[str, Any]) -> None:
                if message["type"] == "websocket.close":
                    closed.append((stuck, message["code"]))
                elif message["type"] == "websocket.send":
                    if stuck:
                        await asyncio.Event().wait()  # never read: blocks for ever
                    read.append(message["text"])

            return receive, send

        scope = {
            "type": "websocket",
            "path": "/ws",
            "raw_path": b"/ws",
            "headers": [],
            "query_string": b"",
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8545),
            "scheme": "ws",
            "root_path": "",
            "subprotocols": [],
        }
        stuck_task = asyncio.create_task(app(scope, *client(True)))
        good_task = asyncio.create_task(app(scope, *client(False)))
        for _ in range(5):
            await asyncio.sleep(0)
        for _ in range(blocks):
            node.produce()  # synchronous: it cannot await any client
            await asyncio.sleep(0)
        await asyncio.wait_for(stuck_task, 5)
        assert not good_task.done()
        good_task.cancel()
        return closed, read

    try:
        closed, read = asyncio.run(run())
        assert node.device.number == blocks
        assert closed[0] == (True, 1008)
        heads = [
            json.loads(t)["params"]["result"]["number"] for t in read if "accord_subscription" in t
        ]
        assert heads == list(range(1, blocks + 1))
    finally:
        node.close()


def test_a_message_past_the_size_limit_closes_the_connection(
    tmp_path: Path, signers: dict[str, Signer]
) -> None:
    node = _open(tmp_path, signers, "public", max_request_bytes=200)
    try:
        with TestClient(create_app(node)) as client, client.websocket_connect("/ws") as ws:
            _welcome(ws)
            ws.send_text('{"jsonrpc": "2.0", "id": 1, "method": "' + "x" * 300 + '"}')
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 1008
            assert node.device.number == 0
    finally:
        node.close()
