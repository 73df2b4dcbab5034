"""A small chain for the explorer's tests: accounts (one with a hostile name), transfers,
a contract with events and storage, commitments pending, fired and expired, and an
ERC-8004 agent with feedback and a validation, with hostile strings in on-chain data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.client import RemoteDevice
from accord.contracts.agents import IdentityRegistry, ReputationRegistry, ValidationRegistry
from accord.device.commitments import build
from accord.node import NodeConfig, Signer, parse_config
from tests.node.conftest import CHAIN_ID, TOKEN

HOSTILE_NAME = '<img src=x onerror="window.__pwned=1">'
"""An account name: rendered as text, it must not become an element."""
HOSTILE_URI = "<script>window.__pwned=2</script>"
HOSTILE_TAG = '"><img src=x onerror=window.__pwned=3>'
HOSTILE_LABEL = "<img src=x onerror=window.__pwned=4>"
HOSTILE = (HOSTILE_NAME, HOSTILE_URI, HOSTILE_TAG, HOSTILE_LABEL)
BIG = 123_456_789_012_345_678_901_234_567
"""alice's ETH: past 2^53, so a page that read it as a float would show it wrong."""
NAMES = ("alice", "bob", "carol", HOSTILE_NAME)


def signers() -> dict[str, Signer]:
    return {n: Signer.generate(n, chain_id=CHAIN_ID) for n in NAMES}


def explorer_config(data_dir: Path, keys: dict[str, Signer], **node: Any) -> NodeConfig:
    section: dict[str, Any] = {"data_dir": str(data_dir), "admin_token": TOKEN, **node}
    return parse_config(
        {
            "seed": 5,
            "node": section,
            "device": {"chain_id": CHAIN_ID},
            "genesis": {
                "public_keys": {n: s.public_key.hex() for n, s in keys.items()},
                "assets": {
                    "ETH": {
                        "issuer": "treasury",
                        "alloc": {
                            "alice": BIG,
                            "bob": 10**18,
                            "carol": 10**18,
                            HOSTILE_NAME: 10**18,
                        },
                    },
                    "USD": {"issuer": "fed", "alloc": {"alice": 1_000}},
                },
            },
        }
    )


@dataclass(frozen=True)
class Chain:
    """What :func:`populate` made."""

    transfer: str
    """The hash of alice's transfer of 5 ETH to bob (block 1)."""
    hostile_transfer: str
    identity: str
    reputation: str
    validation: str
    agent: int
    fired: str
    expired: str
    pending: str


def populate(remote: RemoteDevice) -> Chain:
    """Build the chain through the node's API, as outside agents would."""
    alice, bob, carol, hostile = (remote.account(n) for n in NAMES)
    t1 = remote.submit(remote.sign(alice, "bob", value={"ETH": 5}))
    t2 = remote.submit(remote.sign(hostile, "carol", value={"ETH": 3}))
    remote.build_block()
    identity = remote.deploy(alice, IdentityRegistry)
    reputation = remote.deploy(alice, ReputationRegistry, identity)
    validation = remote.deploy(alice, ValidationRegistry, identity)
    registered = remote.call(
        bob,
        identity,
        "register",
        HOSTILE_URI,
        (("note", HOSTILE_TAG.encode()),),
        gas_limit=1_000_000,
    )
    assert registered.ok, registered.error
    agent = registered.result
    rated = remote.call(
        carol,
        reputation,
        "giveFeedback",
        agent,
        87,
        0,
        HOSTILE_TAG,
        "speed",
        "",
        "",
        bytes(32),
        gas_limit=1_000_000,
    )
    assert rated.ok, rated.error
    asked = remote.call(
        bob,
        validation,
        "validationRequest",
        "carol",
        agent,
        "",
        b"\x11" * 32,
        gas_limit=1_000_000,
    )
    assert asked.ok, asked.error
    answered = remote.call(
        carol,
        validation,
        "validationResponse",
        b"\x11" * 32,
        90,
        "",
        bytes(32),
        "audit",
        gas_limit=1_000_000,
    )
    assert answered.ok, answered.error
    n = remote.number
    fires = build.commitment(
        "alice",
        HOSTILE_LABEL,
        expiry=n + 20,
        condition=build.balance("carol", "USD") >= 10,
        actions=[build.transfer("ETH", "bob", 7)],
    )
    expires = build.commitment(
        "alice", "never", expiry=n + 3, condition=build.balance("carol", "USD") >= 10**9
    )
    waits = build.commitment(
        "alice", "later", expiry=n + 500, condition=build.balance("carol", "USD") >= 10**9
    )
    for document in (fires, expires, waits):
        remote.commit(alice, document)
    remote.build_block()
    remote.submit(remote.sign(alice, "carol", value={"USD": 10}))
    remote.build_block()
    while remote.number <= n + 3:
        remote.build_block()
    return Chain(
        t1.hex(),
        t2.hex(),
        identity,
        reputation,
        validation,
        agent,
        fires.id,
        expires.id,
        waits.id,
    )
