"""Hostile clients: malformed JSON-RPC, wrong params, oversized bodies, floods, and
signed payloads the device must refuse. Every refusal is one line and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from accord.device import Account, InvalidValue
from accord.node import METHODS, Node, Signer, create_app
from accord.node.wire import WireError, transaction_from_json
from tests.node.conftest import TOKEN, FakeClock, Rpc, make_config

KNOWN = {-32700, -32600, -32601, -32602, -32000, -32005}


def _footprint(node: Node) -> tuple[bytes, int, int, int]:
    d = node.device
    return d.state_hash(), d.number, len(d.mempool), len(node.journal)


# -- the protocol ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        (b"{", -32700, "parse error"),
        (b"\xff\xfe", -32700, "parse error"),
        (b"[1" * 5000, -32700, "parse error"),
        (
            b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[' + b"9" * 5000 + b"]}",
            -32700,
            "parse error",
        ),
        (b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[NaN]}', -32700, "NaN"),
        (
            b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[-Infinity]}',
            -32700,
            "Infinity",
        ),
        (b"[]", -32600, "empty batch"),
        (b"5", -32600, "expected an object"),
        (b'{"id":1,"method":"eth_chainId"}', -32600, '"jsonrpc" must be "2.0"'),
        (b'{"jsonrpc":"1.0","id":1,"method":"eth_chainId"}', -32600, '"jsonrpc" must be "2.0"'),
        (b'{"jsonrpc":"2.0","id":{},"method":"eth_chainId"}', -32600, "id must be"),
        (b'{"jsonrpc":"2.0","id":1,"method":5}', -32600, "method must be a string"),
        (b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":5}', -32600, "params must be"),
        (b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","x":5}', -32600, "unknown members"),
        (b'{"jsonrpc":"2.0","id":1,"method":"eth_nope"}', -32601, "method not found: 'eth_nope'"),
        (b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[1]}', -32602, "at most 0"),
        (
            b'{"jsonrpc":"2.0","id":1,"method":"accord_getBalance","params":{}}',
            -32602,
            "account: Field required",
        ),
        (
            b'{"jsonrpc":"2.0","id":1,"method":"accord_getBalance","params":{"account":5}}',
            -32602,
            "account: Input should be a valid string",
        ),
        (
            b'{"jsonrpc":"2.0","id":1,"method":"accord_getBlock","params":{"number":"1"}}',
            -32602,
            "invalid params: number",
        ),
        (
            b'{"jsonrpc":"2.0","id":1,"method":"accord_getBlock","params":{"number":true}}',
            -32602,
            "invalid params: number",
        ),
        (
            b'{"jsonrpc":"2.0","id":1,"method":"accord_getBalance","params":{"account":"a","x":1}}',
            -32602,
            "x: Extra inputs are not permitted",
        ),
        (
            b'{"jsonrpc":"2.0","id":1,"method":"accord_getTransactionReceipt","params":["zz"]}',
            -32602,
            "hash",
        ),
    ],
)
def test_protocol_errors_have_the_specs_codes(
    rpc: Rpc, node: Node, body: bytes, code: int, says: str
) -> None:
    before = _footprint(node)
    response = rpc.client.post("/", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200
    error = response.json()["error"]
    assert error["code"] == code and says in error["message"], error
    assert "\n" not in error["message"]
    assert _footprint(node) == before


def test_batches_answer_each_request_and_skip_notifications(rpc: Rpc) -> None:
    answers = rpc.raw(
        [
            {"jsonrpc": "2.0", "id": "a", "method": "eth_chainId"},
            {"jsonrpc": "2.0", "method": "eth_chainId"},  # a notification: no answer
            {"jsonrpc": "2.0", "id": 2, "method": "nope"},
            5,
            {"jsonrpc": "2.0", "id": None, "method": "eth_blockNumber"},
        ]
    )
    assert answers == [
        {"jsonrpc": "2.0", "result": "0x7", "id": "a"},
        {
            "jsonrpc": "2.0",
            "error": {"code": -32601, "message": "method not found: 'nope'"},
            "id": 2,
        },
        {
            "jsonrpc": "2.0",
            "error": {"code": -32600, "message": "invalid request: expected an object"},
            "id": None,
        },
        {"jsonrpc": "2.0", "result": "0x0", "id": None},
    ]
    only_notes = rpc.client.post("/", json=[{"jsonrpc": "2.0", "method": "eth_chainId"}])
    assert only_notes.status_code == 204 and only_notes.content == b""
    too_many = rpc.raw([{"jsonrpc": "2.0", "id": i, "method": "eth_chainId"} for i in range(101)])
    assert too_many["error"]["code"] == -32600 and "limit of 100" in too_many["error"]["message"]


# -- HTTP limits ------------------------------------------------------------------------------
@pytest.fixture
def tight(
    tmp_path: Path, signers: dict[str, Signer]
) -> Iterator[tuple[TestClient, FakeClock, Node]]:
    limits = {
        "max_request_bytes": 2_000,
        "ip_rate": 1.0,
        "ip_burst": 3,
        "key_rate": 1.0,
        "key_burst": 2,
    }
    node = Node.open(make_config(tmp_path / "d", signers, limits=limits))
    clock = FakeClock()
    with TestClient(create_app(node, clock=clock)) as client:
        yield client, clock, node
    node.close()


def test_a_large_body_is_refused_from_its_header_before_it_is_read(tight: Any) -> None:
    client, _, _ = tight
    body = b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["' + b"x" * 3_000 + b'"]}'
    response = client.post("/", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413 and "the limit is 2000" in response.json()["error"]

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b" " * 500

    streamed = client.post("/", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413 and "exceeds the limit" in streamed.json()["error"]


def test_wrong_content_type_and_method(rpc: Rpc) -> None:
    form = rpc.client.post("/", content=b"{}", headers={"content-type": "text/plain"})
    assert form.status_code == 415
    assert rpc.client.get("/").status_code == 405


def test_per_ip_rate_limit_refills_with_the_clock(tight: Any) -> None:
    client, clock, _ = tight
    ok = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}
    assert [client.post("/", json=ok).status_code for _ in range(4)] == [200, 200, 200, 429]
    clock.now += 0.5
    assert client.post("/", json=ok).status_code == 429
    clock.now += 0.5
    assert [client.post("/", json=ok).status_code for _ in range(2)] == [200, 429]
    clock.now += 100
    assert [client.post("/", json=ok).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_per_key_rate_limit(tight: Any, signers: dict[str, Signer]) -> None:
    client, clock, node = tight
    alice = signers["alice"]
    codes = []
    for nonce in range(3):
        clock.now += 1.0  # the IP bucket refills; alice's key bucket is the limit
        tx = alice.transfer(nonce, "bob", {"ETH": 1}, max_fee=3_000)
        answer = client.post(
            "/",
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "accord_sendTransaction",
                "params": {"transaction": tx},
            },
        ).json()
        codes.append(answer.get("error", {}).get("code", 0))
    assert codes == [0, 0, 0]
    clock.now += 1.0
    batch = [
        {
            "jsonrpc": "2.0",
            "id": n,
            "method": "accord_sendTransaction",
            "params": {"transaction": alice.transfer(n, "bob", {"ETH": 1}, max_fee=3_000)},
        }
        for n in range(3, 6)
    ]
    answers = client.post("/", json=batch).json()  # one request for the IP, three for the key
    assert [a.get("error", {}).get("code", 0) for a in answers] == [0, 0, -32005]  # burst 2
    assert "rate limit: sender 'alice'" in answers[2]["error"]["message"]
    forged = {**alice.transfer(9, "bob", {"ETH": 1}), "signature": "00" * 64}
    clock.now += 1.0
    for _ in range(2):  # forgeries in alice's name spend none of alice's tokens
        answer = client.post(
            "/",
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "accord_sendTransaction",
                "params": {"transaction": forged},
            },
        ).json()
        assert answer["error"]["code"] == -32000 and "forged" in answer["error"]["message"]
    clock.now += 1.0
    fine = alice.transfer(6, "bob", {"ETH": 1}, max_fee=3_000)
    answer = client.post(
        "/",
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "accord_sendTransaction",
            "params": {"transaction": fine},
        },
    ).json()
    assert answer["result"] == fine["hash"]
    assert len(node.device.mempool) == 6


def test_admin_needs_the_token(rpc: Rpc, tmp_path: Path, signers: dict[str, Signer]) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        response = rpc.client.post("/admin/block", headers=headers)
        assert response.status_code == 401
    assert rpc.call("eth_blockNumber") == "0x0"
    node = Node.open(make_config(tmp_path / "x", signers, admin_token=None))
    with TestClient(create_app(node)) as client:
        response = client.post("/admin/block", headers={"Authorization": "Bearer anything"})
        assert response.status_code == 403 and "disabled" in response.json()["error"]
    node.close()


# -- signed payloads the device refuses -------------------------------------------------------
def _refusal(rpc: Rpc, tx: dict[str, Any]) -> dict[str, Any]:
    error = rpc.call("accord_sendTransaction", {"transaction": tx})
    assert isinstance(error, dict) and error["code"] == -32000, error
    assert error["message"].startswith("refused: ") and "\n" not in error["message"]
    return error


def test_wrong_chain_replay_bad_signature_are_refused_and_change_nothing(
    rpc: Rpc, node: Node, signers: dict[str, Signer]
) -> None:
    alice = signers["alice"]
    other_chain = Signer(alice.private_key, "alice", chain_id=8)
    before = _footprint(node)
    error = _refusal(rpc, other_chain.transfer(0, "bob", {"ETH": 1}))
    assert "for chain 7" in error["message"] and error["data"] == {
        "error": "BadSignature",
        "field": "signature",
    }
    forged = {**alice.transfer(0, "bob", {"ETH": 1}), "signature": "00" * 64}
    assert "forged" in _refusal(rpc, forged)["message"]
    altered = {**alice.transfer(0, "bob", {"ETH": 1}), "value": [["ETH", 1_000]]}
    assert "altered" in _refusal(rpc, altered)["message"]
    mallory = Signer.generate("mallory", chain_id=7)
    assert (
        _refusal(rpc, mallory.transfer(0, "bob", {"ETH": 1}))["data"]["error"] == "UnknownAccount"
    )
    impostor = Signer(Signer.generate("x", chain_id=7).private_key, "alice", chain_id=7)
    assert "forged" in _refusal(rpc, impostor.transfer(0, "bob", {"ETH": 1}))["message"]
    poor = signers["carol"].transfer(0, "bob", {"ETH": 1}, max_fee=3_000)
    assert _refusal(rpc, poor)["data"] == {"error": "CannotPay", "field": "sender"}
    assert _footprint(node) == before
    good = alice.transfer(0, "bob", {"ETH": 1}, max_fee=3_000)
    assert rpc.call("accord_sendTransaction", {"transaction": good}) == good["hash"]
    dup = _refusal(rpc, good)
    assert "pending" in dup["message"] or "already" in dup["message"]
    rpc.block()
    replayed = _refusal(rpc, good)
    assert replayed["data"]["field"] == "nonce"
    assert node.device.balance("bob", "ETH") == 10**18 + 1


# -- generated hostile input ------------------------------------------------------------------
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**300), max_value=2**300)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(sorted(METHODS)),
    params=json_values,
    request_id=st.integers() | st.text(max_size=5),
)
def test_any_params_to_any_method_get_a_clean_answer_and_change_nothing(
    rpc: Rpc, node: Node, method: str, params: Any, request_id: Any
) -> None:
    before = _footprint(node)
    answer = rpc.raw({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
    assert answer["id"] == request_id
    if "error" in answer:
        assert answer["error"]["code"] in KNOWN, answer
        assert "\n" not in answer["error"]["message"]
    if method not in ("accord_sendTransaction", "accord_sendBundle", "accord_commit"):
        assert _footprint(node) == before


fields = {
    "nonce": st.integers(min_value=-5, max_value=2**70)
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=3),
    "gas_limit": st.integers(min_value=-5, max_value=2**70) | st.none(),
    "max_fee": st.integers(min_value=-5, max_value=2**300),
    "priority_fee": st.integers(min_value=-5, max_value=2**300),
    "to": st.text(max_size=5) | st.integers(),
    "method": st.sampled_from(["", "post", "x", "__init__", "os:system"]),
    "value": st.lists(
        st.tuples(
            st.sampled_from(["ETH", "USD", "", "ZZZ"]), st.integers(min_value=-3, max_value=2**257)
        ).map(list),
        max_size=3,
    ),
    "args": st.lists(json_values, max_size=3),
}


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    changes=st.dictionaries(st.sampled_from(sorted(fields)), st.none(), min_size=1).flatmap(
        lambda keys: st.fixed_dictionaries({k: fields[k] for k in keys})
    ),
    resign=st.booleans(),
)
def test_hostile_signed_fields_are_admitted_well_formed_or_refused_with_one_line(
    rpc: Rpc, node: Node, signers: dict[str, Signer], changes: dict[str, Any], resign: bool
) -> None:
    """Fields changed after signing (altered) or signed as they are (a hostile sender)."""
    alice = signers["alice"]
    nonce = node.device.next_nonce("alice")
    tx = alice.transfer(nonce, "bob", {"ETH": 1}, max_fee=3_000)
    tx.update(changes)
    if resign:  # a hostile sender signs whatever it sent, so only admission can refuse it
        try:
            content = transaction_from_json(tx)[:9]
            signed = Account("alice", alice.private_key, "ed25519", 7).sign_content(content)
        except (WireError, InvalidValue):
            pass  # not even encodable: sent as altered
        else:
            tx["hash"], tx["signature"] = signed.hash.hex(), signed.signature.hex()
    before = _footprint(node)
    answer = rpc.call("accord_sendTransaction", {"transaction": tx})
    if isinstance(answer, dict):
        assert answer["code"] in (-32602, -32000, -32005), answer
        assert "\n" not in answer["message"]
        assert _footprint(node) == before
    else:
        assert answer == tx["hash"]
        assert len(node.device.mempool) == before[2] + 1
    block = rpc.block()
    assert block["number"] == before[1] + 1
