"""examples/x402_demo.py: discover through ERC-8004, pay per call through x402, rate."""

from __future__ import annotations

import itertools
import runpy
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from accord.client import RemoteDevice
from accord.device import Account, Device, UnknownAccount
from accord.device.keys import Keyring
from accord.node import Node, create_app, parse_config

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "x402_demo.py"


def test_the_demo_discovers_pays_and_rates(capsys: pytest.CaptureFixture[str]) -> None:
    results = runpy.run_path(str(EXAMPLE), run_name="x402_demo")["main"]()
    assert results["service"] == (0, "intent-compiler")
    assert [(who, code) for who, _, code, _ in results["calls"]] == [
        ("ann", 200),
        ("ann", 200),
        ("ben", 200),
    ]
    assert results["calls"][0][3] == "me commits (id me/intent-7c2e1158):"
    assert results["ann_spent"] == 500 and results["ben_spent"] == 250
    assert results["tokens"] == {"ann": 1_500, "ben": 1_750, "operator": 750}
    assert results["summary"] == (2, 85, 0)  # (90 + 80) / 2
    out = capsys.readouterr().out
    assert "service intent-compiler (agent 0) earned 750" in out


def counter() -> Callable[[], bytes]:
    numbers = itertools.count(1)
    return lambda: next(numbers).to_bytes(32, "big")


def test_the_demo_plays_the_same_through_a_node(tmp_path: Path) -> None:
    """The demo's play (registries, the paid service, ratings) through a node: the
    agents' keys in the client, the node holding public keys only; the same results
    as embedded, and the same state."""
    demo = runpy.run_path(str(EXAMPLE), run_name="x402_demo")
    # the agents' own keys, the same both ways: a signature is calldata, and its bytes
    # move the gas (docs/x402.md, "Determinism")
    keyring = Keyring(b"x402-demo-agents".ljust(32, b"."))
    keys = {n: keyring.private_key(n, "ed25519") for n in demo["PEOPLE"]}
    config = demo["CONFIG"]
    public = {
        n: Account(n, k, "ed25519", config.chain_id).public_key.hex() for n, k in keys.items()
    }
    genesis = demo["genesis"]().model_copy(update={"public_keys": public})
    node = Node.open(
        parse_config(
            {
                "node": {"data_dir": str(tmp_path), "admin_token": "x402-demo-admin-token"},
                "device": config.model_dump(exclude={"receipts_roots"}),  # a node keeps them
                "genesis": genesis.model_dump(),
            }
        )
    )
    try:
        with TestClient(create_app(node)) as client:
            remote = RemoteDevice(client, keys=keys, admin_token="x402-demo-admin-token")
            there = demo["play"](remote, counter())
            embedded = Device(config, demo["genesis"](), seed=0, keyring=keyring)
            here = demo["play"](embedded, counter())
            assert there == here
            assert there["tokens"] == {"ann": 1_500, "ben": 1_750, "operator": 750}
            assert node.device.state_hash() == embedded.state_hash() == remote.state_hash()
            for name in keys:
                with pytest.raises(UnknownAccount):
                    node.device.account(name)
    finally:
        node.close()
