"""Shared fixtures and helpers for the device tests."""

from __future__ import annotations

from typing import Any

import pytest

from accord.device import (
    AssetSpec,
    Device,
    DeviceConfig,
    Genesis,
    Receipt,
    Transaction,
    checks,
    gas,
)
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


def intrinsic(device: Device, receipt: Receipt) -> int:
    """The intrinsic gas (``TX_BASE`` plus EIP-2028 calldata) of ``receipt``'s transaction."""
    for block in device.blocks:
        for tx in block.transactions:
            if tx.hash == receipt.tx_hash:
                return gas.intrinsic_gas(tx.method, tx.args, tx.value)
    raise KeyError(receipt.tx_hash.hex())


def balances(device: Device, asset: str = "ETH") -> dict[str, int]:
    return {who: device.balance(who, asset) for who in device.accounts}


def drain(device: Device, sender: str, to: str = "treasury") -> Transaction:
    """A transfer of all of ``sender``'s ETH but the fee of :data:`DRAIN_GAS` at the next
    block's base fee (no tip): once it has run, ``sender`` holds less than the gas of
    any transaction with the default gas limit costs.

    Admission checks each transaction's funds on its own (as geth does), so a
    transaction of ``sender`` signed after this one (a higher nonce) is admitted but
    cannot pay when it runs after it: the way to reach the block loop's "cannot pay now"
    path, which a sender without funds can no longer reach by submitting.
    """
    fee = DRAIN_GAS * device.base_fee
    return device.sign(
        device.account(sender),
        to,
        value={"ETH": device.balance(sender, "ETH") - fee},
        gas_limit=DRAIN_GAS,
        max_fee=device.base_fee,
    )


DRAIN_GAS = 100_000
"""A plain transfer's gas limit in :func:`drain`: more than it uses, half the default."""
