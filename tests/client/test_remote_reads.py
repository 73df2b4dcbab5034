"""RemoteDevice's further reads (supply, locked, latency, accounts, logs, resolutions)
answer what the embedded Device answers after the same scenario: an escrow with one deal
released and one left open (a lock), a commitment that fires and one that expires."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from accord.client import RemoteDevice, RemoteError
from accord.contracts.escrow import Escrow
from accord.device import Account, Device
from accord.device.commitments import build
from accord.node import Node, Signer, create_app
from tests.client.test_remote import NAMES, _keys, scenario
from tests.node.conftest import CHAIN_ID, TOKEN, Rpc, make_config


def more(device: Any, accounts: dict[str, Account]) -> str:
    """After the shared scenario: a second deal left open (its USD locked under the
    escrow) and a commitment whose condition never holds, so it expires."""
    alice, bob = accounts["alice"], accounts["bob"]
    escrow = device.deploy(bob, Escrow)
    device.call(alice, escrow, "open", "carol", "USD", 30, "", None, ("block", 90))
    never = build.commitment(
        "bob",
        "never",
        expiry=device.number + 2,
        condition=build.balance("carol", "USD") >= 10**9,
        actions=[build.transfer("ETH", "alice", 1)],
    )
    device.commit(bob, never)
    for _ in range(4):
        device.build_block()
    return str(escrow)


def reads(device: Any, escrow: str) -> dict[str, Any]:
    holders = (escrow, "carol", "nobody")
    return {
        "supply": [device.supply(a) for a in ("ETH", "USD", "nope")],
        "locked": [device.locked(o, a, h) for o in NAMES for a in ("USD", "ETH") for h in holders],
        "latency": [device.latency(n) for n in (*NAMES, "nobody")],
        "accounts": device.accounts,
        "finalized": device.finalized,
        "is_final": [device.is_final(n) for n in range(device.number + 2)],
        "logs": device.logs(),
        "logs_escrow": device.logs(address=escrow),
        "logs_opened": device.logs(name="Opened"),
        "logs_range": device.logs(3, 5),
        "logs_both": device.logs(0, None, address=escrow, name="Opened"),
        "resolutions": list(device.resolutions),
    }


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Node, RemoteDevice]]:
    keys = _keys()
    signers = {n: Signer(k, n, chain_id=CHAIN_ID) for n, k in keys.items()}
    node = Node.open(make_config(tmp_path / "data", signers))
    try:
        with TestClient(create_app(node)) as client:
            yield node, RemoteDevice(client, keys=keys, admin_token=TOKEN)
    finally:
        node.close()


def test_further_reads_embedded_and_remote_agree(world: tuple[Node, RemoteDevice]) -> None:
    node, remote = world
    config = node.config
    keys = _keys()
    embedded = Device(config.device, config.genesis, seed=config.seed)
    accounts = {n: Account(n, k, scheme="ed25519", chain_id=CHAIN_ID) for n, k in keys.items()}
    scenario(embedded, accounts)
    here_escrow = more(embedded, accounts)
    scenario(remote, {n: remote.account(n) for n in NAMES})
    there_escrow = more(remote, {n: remote.account(n) for n in NAMES})
    assert here_escrow == there_escrow
    here, there = reads(embedded, here_escrow), reads(remote, there_escrow)
    assert here == there
    # real values
    assert here["supply"][2] == 0 and here["supply"][1] == node.device.supply("USD") > 0
    assert (
        embedded.locked("alice", "USD", here_escrow)
        == 30
        == remote.locked("alice", "USD", here_escrow)
    )
    assert sum(here["locked"]) == 30
    assert "treasury" in here["accounts"] and set(NAMES) <= set(here["accounts"])
    assert here["accounts"] == sorted(here["accounts"])
    names = [log.event.name for log in here["logs"]]
    assert names.count("Opened") == 2 and "Released" in names
    assert {log.event.address for log in here["logs_escrow"]} == {here_escrow}
    assert all(3 <= log.block_number <= 5 for log in here["logs_range"])
    fired = [r for r in here["resolutions"] if r.fired]
    expired = [g for r in here["resolutions"] for g in r.expired]
    assert fired and fired[0].settled and expired and expired[0].members
    assert [r.number for r in here["resolutions"]] == sorted(
        {r.number for r in here["resolutions"]}
    )


def test_reads_with_hostile_params_are_one_line_refusals(world: tuple[Node, RemoteDevice]) -> None:
    node, remote = world
    with TestClient(create_app(node)) as client:
        rpc = Rpc(client)
        for method, params in [
            ("accord_getSupply", {}),
            ("accord_getSupply", {"asset": 5}),
            ("accord_getSupply", {"asset": ""}),
            ("accord_getSupply", {"asset": "x" * 201}),
            ("accord_getLocked", {"owner": "alice", "asset": "USD"}),
            ("accord_getLocked", ["alice", "USD", None]),
            ("accord_getResolutions", {"from_block": -1}),
            ("accord_getResolutions", {"from_block": "0"}),
            ("accord_getResolutions", {"from_block": 0, "x": 1}),
        ]:
            error = rpc.call(method, params)
            assert error["code"] == -32602 and "\n" not in error["message"], (method, error)
        assert rpc.call("accord_getResolutions", [10**30]) == []
        assert rpc.call("accord_getLocked", ["nobody", "nope", "nowhere"]) == 0
    with pytest.raises(RemoteError, match="asset"):
        remote.supply("")
    assert node.device.number == 0
