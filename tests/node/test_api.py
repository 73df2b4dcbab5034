"""The node's methods end to end, in process: agents with their own keys send signed
transfers, contract calls, bundles and commitments, and read what happened."""

from __future__ import annotations

import json

from accord.device.commitments import build
from accord.node import SCHEMA, Node, Signer
from accord.node.signing import bundle
from tests.node.conftest import CHAIN_ID, ETH, Rpc

VAULT = "accord.contracts.vault:Vault"


def _send(rpc: Rpc, tx: dict[str, object]) -> str:
    result = rpc.call("accord_sendTransaction", {"transaction": tx})
    assert isinstance(result, str), result
    return result


def test_chain_reads(rpc: Rpc, node: Node) -> None:
    assert rpc.call("eth_chainId") == hex(CHAIN_ID) == "0x7"
    assert rpc.call("eth_blockNumber") == "0x0"
    assert rpc.call("eth_getBalance", ["alice"]) == hex(ETH)
    assert rpc.call("accord_getBalance", {"account": "alice", "asset": "USD"}) == 1_000
    info = rpc.call("accord_nodeInfo")
    assert info["chain_id"] == CHAIN_ID
    assert info["genesis_hash"] == node.device.genesis_hash.hex()
    assert info["head"] == {"number": 0, "hash": node.device.head.hash.hex()}
    account = rpc.call("accord_getAccount", {"account": "carol"})
    assert account == {
        "address": "carol",
        "public_key": node.device.public_key("carol").hex(),
        "nonce": 0,
        "next_nonce": 0,
    }
    assert rpc.call("accord_getAccount", {"account": "nobody"}) is None


def test_a_signed_transfer_lands_and_its_receipt_reads(
    rpc: Rpc, signers: dict[str, Signer]
) -> None:
    alice = signers["alice"]
    tx = alice.transfer(0, "carol", {"ETH": 1_234, "USD": 10}, max_fee=3_000, priority_fee=2)
    tx_hash = _send(rpc, tx)
    assert tx_hash == tx["hash"]
    assert rpc.call("eth_getTransactionCount", ["alice", "pending"]) == "0x1"
    assert rpc.call("eth_getTransactionCount", ["alice"]) == "0x0"
    assert rpc.call("accord_getTransaction", {"hash": tx_hash}) == {
        "transaction": tx,
        "block_number": None,
    }
    assert rpc.call("accord_getTransactionReceipt", {"hash": tx_hash}) is None
    block = rpc.block()
    assert block["number"] == 1 and block["transactions"] == [tx_hash]
    receipt = rpc.call("accord_getTransactionReceipt", {"hash": "0x" + tx_hash})
    assert receipt["status"] == "success" and receipt["block_number"] == 1
    assert receipt["fee_paid"] == receipt["gas_used"] * (1_000 + 2)
    assert rpc.call("accord_getBalance", {"account": "carol"}) == 1_234
    assert rpc.call("accord_getBalance", {"account": "carol", "asset": "USD"}) == 10
    assert rpc.call("accord_getBalance", {"account": "alice"}) == ETH - 1_234 - receipt["fee_paid"]
    got = rpc.call("accord_getBlock", {"number": 1, "full": True})
    assert got["transactions"] == [tx] and got["hash"] == block["hash"]
    assert rpc.call("accord_getBlock", {"number": 2}) is None
    assert rpc.call("accord_getBlock")["number"] == 1


def test_deploy_call_view_and_logs(rpc: Rpc, signers: dict[str, Signer]) -> None:
    bob = signers["bob"]
    estimate = rpc.call("accord_estimateGas", {"sender": "bob", "to": "", "method": VAULT})
    assert isinstance(estimate, int) and estimate > 32_000
    deploy = bob.sign(0, "", VAULT, gas_limit=estimate, max_fee=3_000)
    _send(rpc, deploy)
    rpc.block()
    receipt = rpc.call("accord_getTransactionReceipt", {"hash": deploy["hash"]})
    assert receipt["status"] == "success", receipt
    vault = receipt["contract_address"]
    assert vault.startswith("0x")
    call = bob.sign(1, vault, "deposit", ["bob", 70], gas_limit=200_000, max_fee=3_000)
    _send(rpc, call)
    move = bob.sign(2, vault, "move", ["bob", "alice", 30], gas_limit=200_000, max_fee=3_000)
    _send(rpc, move)
    rpc.block()
    assert rpc.call("accord_call", {"to": vault, "method": "balance_of", "args": ["alice"]}) == 30
    assert rpc.call("accord_call", [vault, "balance_of", ["bob"]]) == 40
    logs = rpc.call("accord_getLogs", {"from_block": 0, "address": vault})
    assert [(e["name"], e["data"], e["block_number"]) for e in logs] == [
        ("Deposit", {"who": "bob", "amount": 70}, 2),
        ("Move", {"source": "bob", "to": "alice", "amount": 30}, 2),
    ]
    assert rpc.call("accord_getLogs", {"name": "Move"})[0]["tx_hash"] == move["hash"]
    failed = rpc.call("accord_call", {"to": vault, "method": "balance_of", "args": []})
    assert failed["code"] == -32000 and "view reverted: TypeError" in failed["message"]
    missing = rpc.call("accord_call", {"to": "0xdead", "method": "x"})
    assert missing["code"] == -32000 and "no contract" in missing["message"]


def test_simulate_and_estimate_change_nothing(
    rpc: Rpc, node: Node, signers: dict[str, Signer]
) -> None:
    _send(rpc, signers["alice"].transfer(0, "bob", {"ETH": 1}, max_fee=3_000))
    before = node.device.state_hash()
    pending = len(node.device.mempool)
    sim = rpc.call("accord_simulate", {"sender": "alice", "to": "carol", "value": [["USD", 5]]})
    assert sim["status"] == "success" and sim["error"] is None
    assert sim["gas_used"] == rpc.call(
        "accord_estimateGas", {"sender": "alice", "to": "carol", "value": [["USD", 5]]}
    )
    too_much = rpc.call(
        "accord_simulate", {"sender": "alice", "to": "carol", "value": [["USD", 10**6]]}
    )
    assert too_much["status"] == "reverted" and "USD" in too_much["error"]
    refused = rpc.call(
        "accord_estimateGas", {"sender": "alice", "to": "carol", "value": [["USD", 10**6]]}
    )
    assert refused["code"] == -32000 and refused["message"].startswith("reverted:")
    nobody = rpc.call("accord_simulate", {"sender": "nobody", "to": "carol"})
    assert nobody["status"] == "rejected"
    assert node.device.state_hash() == before
    assert len(node.device.mempool) == pending
    assert rpc.block()["state_hash"] == _twin_state_hash(node, signers)


def _twin_state_hash(node: Node, signers: dict[str, Signer]) -> str:
    """The same block built on a fresh device that never simulated anything."""
    from accord.device import Device
    from accord.node.wire import transaction_from_json

    twin = Device(node.config.device, node.config.genesis, seed=node.config.seed)
    twin.submit(
        transaction_from_json(signers["alice"].transfer(0, "bob", {"ETH": 1}, max_fee=3_000))
    )
    return twin.build_block().header.state_hash.hex()


def test_a_bundle_lands_whole(rpc: Rpc, signers: dict[str, Signer]) -> None:
    a = signers["alice"].transfer(0, "carol", {"ETH": 10}, max_fee=3_000)
    b = signers["bob"].transfer(0, "carol", {"ETH": 20}, max_fee=3_000)
    result = rpc.call("accord_sendBundle", {"bundle": bundle([a, b])})
    assert isinstance(result, str) and len(result) == 64
    block = rpc.block()
    assert block["transactions"] == [a["hash"], b["hash"]]
    assert rpc.call("accord_getBalance", {"account": "carol"}) == 30


def test_a_commitment_is_posted_and_readable(rpc: Rpc, signers: dict[str, Signer]) -> None:
    alice = signers["alice"]
    document = build.commitment(
        "alice",
        "pay-bob",
        expiry=50,
        condition=build.balance("carol", "ETH") >= 1,
        actions=[build.transfer("ETH", "bob", 7)],
    ).to_json()
    tx = alice.commit(0, document, gas_limit=2_000_000, max_fee=3_000)
    assert rpc.call("accord_commit", {"transaction": tx}) == tx["hash"]
    rpc.block()
    receipt = rpc.call("accord_getTransactionReceipt", {"hash": tx["hash"]})
    assert receipt["status"] == "success", receipt
    pending = rpc.call("accord_getCommitments")
    assert [c["owner"] for c in pending] == ["alice"]


def test_a_commitment_for_someone_else_or_malformed_is_refused(
    rpc: Rpc, signers: dict[str, Signer]
) -> None:
    bob_doc = build.commitment(
        "bob", "x", expiry=50, actions=[build.transfer("ETH", "carol", 1)]
    ).to_json()
    tx = signers["alice"].commit(0, bob_doc, gas_limit=2_000_000)
    error = rpc.call("accord_commit", {"transaction": tx})
    assert error["code"] == -32602 and "is not the signer 'alice'" in error["message"]
    bad = signers["alice"].commit(0, "{not json", gas_limit=2_000_000)
    error = rpc.call("accord_commit", {"transaction": bad})
    assert error["code"] == -32602 and error["message"].startswith("invalid params: commitment:")
    plain = signers["alice"].transfer(0, "bob", {"ETH": 1})
    error = rpc.call("accord_commit", {"transaction": plain})
    assert error["code"] == -32602 and "'commitments'.post" in error["message"]


def test_the_schema_lists_every_method_with_its_params(rpc: Rpc) -> None:
    schema = rpc.call("accord_schema")
    assert schema == json.loads(json.dumps(SCHEMA))
    assert {"accord_sendTransaction", "accord_simulate", "eth_chainId"} <= set(schema)
    assert schema["accord_getBalance"]["params"]["required"] == ["account"]
    assert all(name.startswith(("accord_", "eth_")) for name in schema)


def test_a_bundle_with_a_forged_transaction_is_refused_naming_it(
    rpc: Rpc, node: Node, signers: dict[str, Signer]
) -> None:
    a = signers["alice"].transfer(0, "carol", {"ETH": 10}, max_fee=3_000)
    b = {**signers["bob"].transfer(0, "carol", {"ETH": 20}, max_fee=3_000), "signature": "11" * 64}
    error = rpc.call("accord_sendBundle", {"bundle": bundle([a, b])})
    assert error["code"] == -32000 and error["data"] == {"error": "BundleFailed", "field": "txs[1]"}
    assert not node.device.mempool.bundles() and len(node.journal) == 0
    error = rpc.call("accord_sendBundle", {"bundle": {**bundle([a]), "reverting": ["zz"]}})
    assert error["code"] == -32602 and "bundle.reverting[0]: not hex" in error["message"]


def test_results_without_a_json_form_are_named_not_guessed() -> None:
    from accord.node.reads import value

    assert value({"a": (1, b"\x01")}) == {"a": [1, {"$bytes": "01"}]}
    assert value(object()) == {"$unrepresentable": "object"}
    assert value({1: 2}) == {"$unrepresentable": "dict"}
