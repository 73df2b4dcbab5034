"""RemoteDevice against a broken or hostile node: every answer without the documented
shape, every HTTP refusal and an unreachable node is one RemoteError line."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from accord.client import RemoteDevice, RemoteError
from accord.device import Account, DeviceConfig

INFO = {
    "chain_id": 7,
    "genesis_hash": "00" * 32,
    "state_hash": "11" * 32,
    "base_fee": 1000,
    "config": DeviceConfig(chain_id=7).model_dump(mode="json"),
}

Answers = dict[str, Callable[[int], httpx.Response]]
TX = Account("alice", b"\x01" * 32, scheme="ed25519", chain_id=7).sign(
    0, "bob", "", value={"ETH": 1}, gas_limit=50_000, max_fee=3_000
)
SIM = {
    "status": "success",
    "gas_used": 21_000,
    "fee_paid": 1,
    "result": None,
    "events": [],
    "error": None,
    "field": None,
    "contract_address": None,
}


def _ok(result: Any) -> Callable[[int], httpx.Response]:
    return lambda rid: httpx.Response(200, json={"jsonrpc": "2.0", "id": rid, "result": result})


def _fake(answers: Answers) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/admin/block":
            return answers["/admin/block"](0)
        body = json.loads(request.content)
        method = body["method"]
        if method not in answers:
            return _ok(INFO)(body["id"]) if method == "accord_nodeInfo" else httpx.Response(500)
        return answers[method](body["id"])

    return httpx.Client(transport=httpx.MockTransport(handler), base_url="http://node")


def _device(**answers: Callable[[int], httpx.Response]) -> RemoteDevice:
    return RemoteDevice(_fake(answers), admin_token="t")


@pytest.mark.parametrize(
    ("call", "answers", "words"),
    [
        (
            lambda d: d.balance("alice", "ETH"),
            {"accord_getBalance": _ok(1.5)},
            "expected an integer",
        ),
        (
            lambda d: d.balance("alice", "ETH"),
            {"accord_getBalance": _ok("100")},
            "expected an integer",
        ),
        (lambda d: d.number, {"eth_blockNumber": _ok(5)}, "0x hex quantity"),
        (lambda d: d.nonce("alice"), {"eth_getTransactionCount": _ok("0xzz")}, "ValueError"),
        (
            lambda d: d.state_hash(),
            {"accord_nodeInfo": _ok({**INFO, "state_hash": "ab"})},
            "64 hex",
        ),
        (
            lambda d: d.receipt(b"\x01" * 32),
            {"accord_getTransactionReceipt": _ok({"status": "success"})},
            "KeyError",
        ),
        (
            lambda d: d.pending_commitments(),
            {"accord_getCommitments": _ok([{"x": 1}])},
            "malformed",
        ),
        (
            lambda d: d.build_block(),
            {"/admin/block": lambda _: httpx.Response(200, json={})},
            "KeyError",
        ),
        (
            lambda d: d.balance("a", "ETH"),
            {"accord_getBalance": lambda _: httpx.Response(200, content=b"<html>")},
            "no JSON",
        ),
        (
            lambda d: d.balance("a", "ETH"),
            {"accord_getBalance": lambda _: httpx.Response(429, json={"error": "rate limit: 200"})},
            "HTTP 429: rate limit",
        ),
        (
            lambda d: d.balance("a", "ETH"),
            {
                "accord_getBalance": lambda rid: httpx.Response(
                    200, json={"id": rid + 1, "result": 1}
                )
            },
            "not an answer to this request",
        ),
        (
            lambda d: d.balance("a", "ETH"),
            {
                "accord_getBalance": lambda rid: httpx.Response(
                    200, json={"id": rid, "error": {"code": -32602, "message": "bad\nnews"}}
                )
            },
            "accord_getBalance: bad news",
        ),
        (
            lambda d: d.simulate(TX),
            {"accord_simulate": _ok({**SIM, "status": "fine"})},
            "unknown status 'fine'",
        ),
        (
            lambda d: d.simulate(TX),
            {"accord_simulate": _ok({**SIM, "gas_used": 2.5})},
            "expected an integer",
        ),
        (
            lambda d: d.simulate(TX),
            {"accord_simulate": _ok({**SIM, "error": 7})},
            "strings or null",
        ),
        (lambda d: d.simulate(TX), {"accord_simulate": _ok([1])}, "malformed"),
        (
            lambda d: d.verify_message("alice", b"m", b"s" * 64),
            {"accord_getAccount": _ok({"public_key": "zz"})},
            "64 hex",
        ),
        (
            lambda d: d.verify_message("alice", b"m", b"s" * 64),
            {"accord_getAccount": _ok({})},
            "KeyError",
        ),
    ],
)
def test_a_malformed_answer_is_one_remote_error(
    call: Callable[[RemoteDevice], Any], answers: Answers, words: str
) -> None:
    device = _device(**answers)
    with pytest.raises(RemoteError) as raised:
        call(device)
    assert words in str(raised.value) and "\n" not in str(raised.value)


def test_a_node_with_a_malformed_info_is_refused_at_once() -> None:
    broken = {**INFO, "config": {"chain_id": "seven"}}
    with pytest.raises(RemoteError, match="accord_nodeInfo: malformed answer"):
        _device(accord_nodeInfo=_ok(broken))
    with pytest.raises(RemoteError, match="accord_nodeInfo: malformed answer"):
        _device(accord_nodeInfo=_ok({**INFO, "chain_id": 7.0}))


def test_an_unreachable_node_is_one_line() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RemoteError, match="cannot reach the node"):
        RemoteDevice.connect(f"http://127.0.0.1:{port}", timeout=2)
