"""Generated sequences of honest and hostile submissions through the RPC: exactly the
honest ones are acknowledged, and the chain equals a device fed only those, before and
after a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from accord.device import Device
from accord.node import Node, Signer, create_app
from accord.node.wire import transaction_from_json
from tests.node.conftest import Rpc, make_config, make_signers

KINDS = ("valid", "replay", "duplicate", "wrong_chain", "forged", "altered", "impostor")
steps = st.lists(
    st.one_of(
        st.tuples(st.just("send"), st.sampled_from(["alice", "bob"]), st.sampled_from(KINDS)),
        st.tuples(st.just("block"), st.just(""), st.just("")),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=steps, amount=st.integers(min_value=1, max_value=10**12))
def test_only_honest_payloads_are_acknowledged_and_the_chain_is_theirs(
    tmp_path_factory: Any, plan: list[tuple[str, str, str]], amount: int
) -> None:
    signers = make_signers()
    config = make_config(Path(tmp_path_factory.mktemp("seq")) / "d", signers)
    node = Node.open(config)
    accepted: list[Any] = []  # in order, with the block boundaries
    sent: dict[str, list[dict[str, Any]]] = {"alice": [], "bob": []}
    with TestClient(create_app(node)) as client:
        rpc = Rpc(client)
        for op, who, kind in plan:
            if op == "block":
                rpc.block()
                accepted.append("block")
                continue
            signer = signers[who]
            nonce = len(sent[who])
            honest = signer.transfer(nonce, "carol", {"ETH": amount}, max_fee=3_000)
            payload = {
                "valid": honest,
                "replay": sent[who][0] if sent[who] else None,
                "duplicate": sent[who][-1] if sent[who] else None,
                "wrong_chain": Signer(signer.private_key, who, chain_id=8).transfer(
                    nonce, "carol", {"ETH": amount}, max_fee=3_000
                ),
                "forged": {**honest, "signature": honest["signature"][::-1]},
                "altered": {**honest, "value": [["ETH", amount + 1]]},
                "impostor": Signer.generate(who, chain_id=7).transfer(
                    nonce, "carol", {"ETH": amount}, max_fee=3_000
                ),
            }[kind]
            if payload is None:
                continue
            answer = rpc.call("accord_sendTransaction", {"transaction": payload})
            if kind == "valid":
                assert answer == honest["hash"], answer
                sent[who].append(honest)
                accepted.append(honest)
            else:
                assert isinstance(answer, dict) and answer["code"] == -32000, (kind, answer)
        rpc.block()
        accepted.append("block")
    state, head, genesis = node.device.state_hash(), node.device.head.hash, node.device.genesis
    node.close()

    twin = Device(config.device, genesis, seed=config.seed)  # the same keys bound: same hashes
    for item in accepted:
        if item == "block":
            twin.build_block()
        else:
            twin.submit(transaction_from_json(item))
    assert twin.state_hash() == state
    assert twin.head.hash == head
    again = Node.open(config)
    assert again.device.state_hash() == state and again.device.head.hash == head
    assert again.device.balance("carol", "ETH") == amount * (
        len(accepted) - accepted.count("block")
    )
    again.close()
