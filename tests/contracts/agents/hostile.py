"""Shared pieces of the ERC-8004 registries' hostile tests: value strategies, the
registries' invariants, and the "no money moves" check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from accord.device import Device
from tests.contracts.hostile_args import ASSETS, FEE, START, USERS, mixed

AGENT = mixed(st.integers(0, 2), st.just(0))
URI = mixed(
    st.sampled_from(("", "ipfs://a", "https://x.example/agent.json", "é" * 5, "\ud800")),
    st.just("A" * 9000),
)
TAG = mixed(st.sampled_from(("", "starred", "uptime", "t" * 65)))
HASH = mixed(st.just(bytes(32)), st.just(b"\x01" * 32), st.just(b"\x01" * 31))
ADDRESSES = mixed(
    st.lists(st.sampled_from(USERS), unique=True, max_size=4).map(tuple),
    st.just(("bob", "bob")),
    st.just(tuple(f"u{i}" for i in range(65))),
    st.just(("bob", 1)),
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
