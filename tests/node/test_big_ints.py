"""A contract result longer than JSON's int guard (CPython refuses to print an int of
more than 4,300 digits, CVE-2020-10735) still reads over the node: ints over
``JSON_INT_BITS`` travel as ``{"$int": hex}`` in receipts, proofs, calls and
subscriptions, and the client reads them back as the same int."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from accord.client import RemoteDevice, verify_receipt_proof
from accord.node import Node, create_app
from tests.node.conftest import Rpc, make_signers
from tests.node.test_proofs import ODD, proof_config

HUGE = 10**200  # Odd.give("big", n) returns n**40: 8,001 digits


def test_a_huge_result_reads_as_itself_over_the_node(tmp_path: Path) -> None:
    signers = make_signers()
    node = Node.open(proof_config(tmp_path / "data", signers))
    try:
        with TestClient(create_app(node)) as client:
            rpc = Rpc(client)
            alice = signers["alice"]
            deploy = alice.sign(0, "", ODD, gas_limit=2_000_000, max_fee=3_000)
            rpc.call("accord_sendTransaction", {"transaction": deploy})
            rpc.block()
            odd = rpc.call("accord_getTransactionReceipt", {"hash": deploy["hash"]})[
                "contract_address"
            ]
            with client.websocket_connect("/ws") as ws:
                assert ws.receive_json()["method"] == "accord_welcome"
                ws.send_json(
                    {
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "accord_subscribe",
                        "params": {"topic": "receipts"},
                    }
                )
                assert "result" in ws.receive_json()
                call = alice.sign(1, odd, "give", ["big", HUGE], gas_limit=3_000_000, max_fee=3_000)
                rpc.call("accord_sendTransaction", {"transaction": call})
                number = rpc.block()["number"]
                # the reads first: without the $int form they fail here, where the
                # subscription would wait for a notification that never comes
                receipt = rpc.call("accord_getTransactionReceipt", {"hash": call["hash"]})
                assert receipt["status"] == "success", receipt
                assert receipt["result"] == {"$int": hex(HUGE**40)}
                note = ws.receive_json()
            assert note["params"]["result"]["result"] == {"$int": hex(HUGE**40)}
            remote = RemoteDevice(client)
            assert remote.receipt(bytes.fromhex(call["hash"])).result == HUGE**40
            proof = rpc.call("accord_getProof", {"hash": call["hash"]})
            header = rpc.call("accord_getBlock", {"number": number})
            proven = verify_receipt_proof(proof, header["hash"])
            assert proven.receipt.result == HUGE**40
            assert node.device.receipt(bytes.fromhex(call["hash"])).result == HUGE**40
    finally:
        node.close()
