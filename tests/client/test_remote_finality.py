"""RemoteDevice's finality (issue 16): ``finalized``, ``is_final`` and ``reorg`` over a
node answer what the embedded Device answers after the same blocks and the same forks,
refusals included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from accord.client import RemoteDevice, RemoteError
from accord.device import Account, Device, ForkRefused
from accord.node import Node, Signer, create_app
from tests.client.test_remote import _keys
from tests.node.conftest import CHAIN_ID, TOKEN
from tests.node.test_finality import finality_config


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[RemoteDevice, Device]]:
    keys = _keys()
    signers = {n: Signer(k, n, chain_id=CHAIN_ID) for n, k in keys.items()}
    config = finality_config(tmp_path / "data", signers)
    node = Node.open(config)
    embedded = Device(config.device, config.genesis, seed=config.seed)
    try:
        with TestClient(create_app(node)) as client:
            yield RemoteDevice(client, keys=keys, admin_token=TOKEN), embedded
    finally:
        node.close()


def _finality(device: Any) -> tuple[Any, ...]:
    """What both must agree on (header hashes differ: the node binds the keyless genesis
    accounts to throwaway keys of its own, and the genesis hash covers them)."""
    return (
        device.number,
        device.head.builder,
        device.state_hash(),
        device.finalized,
        [device.is_final(n) for n in range(-1, device.number + 3)],
    )


def test_finality_and_reorgs_embedded_and_remote_agree(
    pair: tuple[RemoteDevice, Device],
) -> None:
    remote, embedded = pair
    keys = _keys()
    accounts = {n: Account(n, k, scheme="ed25519", chain_id=CHAIN_ID) for n, k in keys.items()}
    alice = accounts["alice"]
    for device in (remote, embedded):
        # head 0 < depth 2: block 0 (genesis) is final all the same, nothing can replace it
        assert device.finalized == 0 and device.is_final(0) is True
        assert device.is_final(1) is False
    seen: dict[str, list[Any]] = {"remote": [], "embedded": []}
    for name, device in (("remote", remote), ("embedded", embedded)):
        device.build_block()
        pay = device.sign(alice, "bob", value={"ETH": 5})
        device.submit(pay)
        for _ in range(2):
            device.build_block()  # pay in block 2
            seen[name].append(_finality(device))
        double = device.sign(  # outbids pay, which the reorg returns to the pool first
            alice,
            "carol",
            value={"ETH": 5},
            nonce=0,
            max_fee=pay.max_fee * 2,
            priority_fee=pay.priority_fee + 10,
        )
        if name == "remote":
            answer = remote.reorg(2, [[double], [], []], builder="bandit")
            assert answer["built"][0]["transactions"] == [double.hash.hex()]
            assert [d["hash"] for d in answer["dropped"]] == [pay.hash.hex()]
        else:
            result = embedded.reorg(2, [[double], [], []], builder="bandit")
            assert [h for h, _ in result.dropped] == [pay.hash]
        seen[name].append(_finality(device))
        with pytest.raises((RemoteError, ForkRefused)) as caught:
            if name == "remote":
                remote.reorg(3, [[], [], [], []])
            else:
                embedded.reorg(3, [[], [], [], []])
        assert "depth 3 is outside 1..2" in str(caught.value)
        if name == "remote":
            assert isinstance(caught.value, RemoteError) and caught.value.kind == "ForkRefused"
        seen[name].append(_finality(device))
    assert seen["remote"] == seen["embedded"]
    assert remote.balance("carol", "ETH") == embedded.balance("carol", "ETH")
    assert remote.balance("bob", "ETH") == embedded.balance("bob", "ETH")
    assert remote.number == 4 and remote.finalized == 2
    assert [remote.is_final(n) for n in range(6)] == [True, True, True, False, False, False]
    with pytest.raises(TypeError):
        remote.is_final("1")  # type: ignore[arg-type]


def test_reorg_needs_the_admin_token(pair: tuple[RemoteDevice, Device]) -> None:
    remote, _ = pair
    anonymous = RemoteDevice(remote.rpc.client, keys=_keys())
    with pytest.raises(RemoteError, match="needs the node's admin token"):
        anonymous.reorg(1, [[]])
