"""accord_getProof end to end: a node's proofs of receipts in blocks of 1..6 transactions
verify against the block hashes the node's own chain has, survive a restart (replayed
receipts roots), and hostile params get the JSON-RPC codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from accord.client import InvalidProof, RemoteDevice, verify_receipt_proof
from accord.node import Node, NodeConfig, Signer, create_app, parse_config
from tests.node.conftest import CHAIN_ID, ETH, TOKEN, Rpc, make_signers

ODD = "tests.device.proof_contracts:Odd"


def proof_config(data_dir: Path, signers: dict[str, Signer]) -> NodeConfig:
    return parse_config(
        {
            "seed": 3,
            "node": {"data_dir": str(data_dir), "admin_token": TOKEN},
            "device": {"chain_id": CHAIN_ID},
            "genesis": {
                "public_keys": {n: s.public_key.hex() for n, s in signers.items()},
                "contract_modules": ["accord.contracts", "tests.device.proof_contracts"],
                "assets": {"ETH": {"issuer": "treasury", "alloc": dict.fromkeys(signers, ETH)}},
            },
        }
    )


def fill(rpc: Rpc, signers: dict[str, Signer]) -> tuple[str, dict[int, list[str]]]:
    """Deploy Odd, then blocks of 1..6 calls (every kind of result) and transfers."""
    alice = signers["alice"]
    deploy = alice.sign(0, "", ODD, gas_limit=2_000_000, max_fee=3_000)
    assert rpc.call("accord_sendTransaction", {"transaction": deploy}) == deploy["hash"]
    rpc.block()
    odd = rpc.call("accord_getTransactionReceipt", {"hash": deploy["hash"]})["contract_address"]
    nonces = {"alice": 1, "bob": 0, "carol": 0}
    kinds = ["int", "dict", "object", "list", "tuple", "list_of_dict"]
    blocks: dict[int, list[str]] = {}
    for size in range(1, 7):
        hashes = []
        for i in range(size):
            name = ("alice", "bob", "carol")[i % 3]
            signer, nonce = signers[name], nonces[name]
            nonces[name] += 1
            if i == 2:
                tx = signer.transfer(nonce, "bob", {"ETH": 7}, max_fee=3_000)
            else:
                tx = signer.sign(
                    nonce, odd, "give", [kinds[(i + size) % 6], i], gas_limit=300_000, max_fee=3_000
                )
            hashes.append(rpc.call("accord_sendTransaction", {"transaction": tx}))
        blocks[rpc.block()["number"]] = hashes
    return odd, blocks


@pytest.fixture
def world(tmp_path: Path) -> Any:
    signers = make_signers()
    node = Node.open(proof_config(tmp_path / "data", signers))
    client = TestClient(create_app(node))
    client.__enter__()
    rpc = Rpc(client)
    _, blocks = fill(rpc, signers)
    yield node, rpc, blocks, signers, tmp_path
    client.__exit__(None, None, None)
    node.close()


def test_every_receipt_proof_verifies_against_its_blocks_hash(world: Any) -> None:
    node, rpc, blocks, _, _ = world
    for number, hashes in blocks.items():
        header = rpc.call("accord_getBlock", {"number": number})
        assert header["receipt_count"] == len(hashes)
        assert header["receipts_root"] == node.device.headers[number].receipts_root.hex()
        for index, tx_hash in enumerate(hashes):
            proof = rpc.call("accord_getProof", {"hash": tx_hash})
            assert proof["block_hash"] == header["hash"]
            assert (proof["page_index"], proof["position"]) == divmod(index, 32)
            assert len(proof["page"]) == len(hashes) <= 32
            assert [entry["tx_hash"] for entry in proof["page"]] == hashes
            proven = verify_receipt_proof(proof, header["hash"])
            assert proven.receipt.tx_hash.hex() == tx_hash and proven.index == index
            assert proven.header == node.device.headers[number]
            receipt = rpc.call("accord_getTransactionReceipt", {"hash": tx_hash})
            assert proof["receipt"]["status"] == receipt["status"]
            assert proof["receipt"]["gas_used"] == receipt["gas_used"]
            if number != max(blocks):
                with pytest.raises(InvalidProof, match=r"^header"):
                    verify_receipt_proof(proof, node.device.headers[number + 1].hash)


def test_not_included_is_null_and_bad_params_are_refused(world: Any) -> None:
    _, rpc, _, signers, _ = world
    pending = signers["bob"].transfer(99, "alice", {"ETH": 1}, max_fee=3_000)
    assert rpc.call("accord_getProof", {"hash": pending["hash"]}) is None
    assert rpc.call("accord_getProof", ["00" * 32]) is None
    for bad in ({"hash": "zz" * 32}, {"hash": 5}, {"hash": "ab"}, {}, {"hash": "00" * 32, "x": 1}):
        error = rpc.call("accord_getProof", bad)
        assert error["code"] == -32602, error
        assert "\n" not in error["message"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    params=st.one_of(
        st.none(),
        st.integers(),
        st.text(max_size=80),
        st.lists(st.text(), max_size=3),
        st.dictionaries(st.text(max_size=8), st.text(max_size=70), max_size=3),
    )
)
def test_random_params_get_an_answer_or_a_json_rpc_error(world: Any, params: Any) -> None:
    node, rpc, _, _, _ = world
    state = node.device.state_hash()
    answer = rpc.raw({"jsonrpc": "2.0", "id": 1, "method": "accord_getProof", "params": params})
    assert ("result" in answer) != ("error" in answer)
    if "error" in answer:
        assert answer["error"]["code"] in (-32600, -32602)
    assert node.device.state_hash() == state


def test_proofs_after_a_restart_and_through_remote_device(tmp_path: Path) -> None:
    signers = make_signers()
    node = Node.open(proof_config(tmp_path / "data", signers))
    with TestClient(create_app(node)) as client:
        rpc = Rpc(client)
        _, blocks = fill(rpc, signers)
        number = max(blocks)
        tx_hash = blocks[number][1]
        before = rpc.call("accord_getProof", {"hash": tx_hash})
    trusted = node.device.headers[number].hash
    node.close()
    again = Node.open(proof_config(tmp_path / "data", signers))  # replays the chain log
    try:
        with TestClient(create_app(again)) as client:
            remote = RemoteDevice(client)
            proof = remote.receipt_proof(bytes.fromhex(tx_hash))
            assert proof == before
            assert verify_receipt_proof(proof, trusted).index == 1
            assert remote.block(number).header == again.device.headers[number]
            with pytest.raises(KeyError):
                remote.receipt_proof(bytes(32))
    finally:
        again.close()
