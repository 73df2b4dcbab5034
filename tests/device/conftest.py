"""Shared fixtures and helpers for the device tests."""

from __future__ import annotations

from typing import Any

import pytest

from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks
from accord.device.keys import Keyring

ETH = 10**18
USERS = ("alice", "bob", "carol", "dave")
TEST_CONTRACTS = ("accord.contracts", "tests")
"""The contract allowlist of the test genesis: accord's contracts and those under tests/."""


def make_genesis(*, extra: dict[str, AssetSpec] | None = None) -> Genesis:
    """ETH for four users and the builder; USD and TOK for trading tests."""
    assets: dict[str, AssetSpec] = {
        "ETH": AssetSpec(issuer="treasury", alloc={u: ETH for u in (*USERS, "builder")}),
        "USD": AssetSpec(issuer="fed", alloc=dict.fromkeys(USERS, 1_000)),
        "TOK": AssetSpec(issuer="mint", alloc=dict.fromkeys(USERS, 10)),
    }
    assets.update(extra or {})
    return Genesis(assets=assets, accounts=["empty"], contract_modules=TEST_CONTRACTS)


def make_device(
    check: bool = True, seed: int = 0, keyring: Keyring | None = None, **config: Any
) -> Device:
    """A device with the standard genesis; invariants checked after every block."""
    device = Device(DeviceConfig(**config), make_genesis(), seed=seed, keyring=keyring)
    if check:
        checks.check_every_block(device)
    return device


@pytest.fixture
def device() -> Device:
    return make_device()


def balances(device: Device, asset: str = "ETH") -> dict[str, int]:
    return {who: device.balance(who, asset) for who in device.accounts}
