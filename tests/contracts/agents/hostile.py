"""Shared pieces of the ERC-8004 registries' hostile tests: value strategies, the
registries' invariants, and the "no money moves" check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from accord.device import Device
from tests.contracts.hostile_args import ASSETS, FEE, START, USERS, junk


def hostile(valid: st.SearchStrategy[Any], *bad: object) -> st.SearchStrategy[Any]:
    """Valid values (about two in three), the generic junk, or the near misses ``bad``
    (too long, one byte short, a lone surrogate); ``call``'s all-valid draws take only
    ``valid``."""
    both = st.one_of(valid, valid, valid, valid, junk(), st.sampled_from(bad))
    both._hostile_valid = valid  # type: ignore[attr-defined]  # read by hostile_args.call
    return both


AGENT = hostile(st.integers(0, 2), 3, 2**256, -1)
URI = hostile(
    st.sampled_from(("", "ipfs://a", "https://x.example/agent.json", "é" * 5)),
    "A" * 9000,
    "é" * 4097,
    "\ud800",
)
TAG = hostile(st.sampled_from(("", "starred", "uptime")), "t" * 65, "é" * 33)
HASH = hostile(st.sampled_from((bytes(32), b"\x01" * 32)), b"\x01" * 31, b"\x01" * 33, "00" * 32)
ADDRESSES = hostile(
    st.lists(st.sampled_from(USERS), unique=True, min_size=1, max_size=4).map(tuple),
    ("bob", "bob"),
    tuple(f"u{i}" for i in range(65)),
    ("bob", 1),
    ("bob", ""),
    (),
)


def no_money_moves(registries: tuple[str, ...]) -> Callable[[Device], None]:
    """Every non-fee asset is where the genesis put it, nothing is locked, and the
    registries hold nothing: no method of theirs moves money."""

    def check(device: Device) -> None:
        ledger = device.ledger
        for user in USERS:
            for asset in ASSETS:
                assert device.balance(user, asset) == START, (user, asset)
        for registry in registries:
            for asset in (*ASSETS, FEE):
                assert device.balance(registry, asset) == 0, (registry, asset)
        assert not any(ledger.locked.values()), dict(ledger.locked)

    return check


def identity_invariant(identity: str) -> Callable[[Device], None]:
    """Ids are 0..next_id-1, each with an owner; balances count the owners' agents."""

    def check(device: Device) -> None:
        storage: dict[str, Any] = device.contract_at(identity).storage()
        owners = storage.get("owners", {})
        assert sorted(owners) == list(range(storage.get("next_id", 0))), owners
        counted: dict[str, int] = {}
        for owner in owners.values():
            counted[owner] = counted.get(owner, 0) + 1
        assert storage.get("balances", {}) == counted
        for agent in storage.get("wallets", {}):
            assert agent in owners
        for agent, key in storage.get("metadata", {}):
            assert agent in owners and key != "agentWallet"

    return check


def both(*checks: Callable[[Device], None]) -> Callable[[Device], None]:
    def check(device: Device) -> None:
        for one in checks:
            one(device)

    return check
