"""Tests for accord/device/submission.py: the intrinsic gas computed once at admission.

``Submission.submit``'s inlined common case derives a transaction's intrinsic gas
(``TX_BASE`` plus EIP-2028's calldata cost, :func:`accord.device.gas.intrinsic_gas`)
from the bytes it encodes for the hash; the gate refuses a gas limit below it, and the
block loop charges the figure stored with the mempool entry. These tests generate the
fields (non-ASCII names, nested arguments, ints beyond 32 bits) and compare with
``intrinsic_gas`` itself, and check that a block charges the same with or without the
stored figure.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.device import Device
from accord.device import gas as G
from accord.device.errors import GasLimitTooLow, Rejected
from tests.device.conftest import make_device
from tests.device.sample_contracts import Vault

ATOMS = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.text(max_size=12),
    st.binary(max_size=40),
    st.booleans(),
    st.none(),
)
ARGS = st.lists(
    st.recursive(ATOMS, lambda inner: st.lists(inner, max_size=3).map(tuple), max_leaves=8),
    max_size=4,
).map(tuple)
NAMES = st.one_of(st.sampled_from(["bob", "0xvault", "é", "名前"]), st.text(min_size=1, max_size=8))


def warmed(signatures: str = "mac") -> Device:
    """A device whose gate has run once for alice (her first transaction takes the
    gate's slow path), so that her next one takes submit's inlined common case (which
    MAC signatures take; an ed25519 transaction always goes through the whole gate)."""
    device = make_device(signatures=signatures)
    device.submit(device.sign(device.account("alice"), "bob", value={"ETH": 1}))
    assert device.mempool.room > 0
    return device


@settings(max_examples=120, deadline=None)
@given(
    to=NAMES,
    method=st.one_of(st.just(""), st.text(max_size=10)),
    args=ARGS,
    amount=st.one_of(st.just(0), st.integers(1, 10**15)),
    slack=st.integers(-3, 3),
    extra=st.sampled_from([0, 2**31 - 21_100, 2**31]),  # around marshal's 32-bit ints
    nonce_gap=st.sampled_from([0, 2**31]),
)
@pytest.mark.parametrize("signatures", ["mac", "ed25519"])
def test_admission_computes_the_intrinsic_gas_or_refuses_a_gas_limit_below_it(
    signatures: str,
    to: str,
    method: str,
    args: tuple[Any, ...],
    amount: int,
    slack: int,
    extra: int,
    nonce_gap: int,
) -> None:
    device = warmed(signatures)
    alice = device.account("alice")
    value = (("ETH", amount),) if amount else ()
    need = G.intrinsic_gas(method, args, value)
    gas_limit = min(need + slack + extra, device.config.block_gas_limit)
    nonce = device.next_nonce("alice") + nonce_gap
    tx = alice.sign_content(("alice", nonce, to, method, args, value, gas_limit, 1_000, 0))
    if gas_limit < need:
        try:
            device.submit(tx)
        except GasLimitTooLow as exc:
            assert exc.field == "gas_limit" and f"intrinsic gas {need}" in str(exc)
        else:
            raise AssertionError("a gas limit below the intrinsic gas was admitted")
        assert device.mempool.get(tx.hash) is None
        return
    try:
        device.submit(tx)
    except Rejected as exc:  # e.g. a deploy target that is no module:QualName
        assert exc.field != "gas_limit", exc
        assert device.mempool.get(tx.hash) is None
        return
    pending = device.mempool.get(tx.hash)
    assert pending is not None and pending.gas == need


def run_blocks(drop_stored: bool) -> tuple[bytes, list[int]]:
    device = make_device(signatures="mac")  # submit's inlined common case stores the gas
    alice, bob = device.account("alice"), device.account("bob")
    vault = device.deploy(alice, Vault)
    used: list[int] = []
    for round_ in range(3):
        for i in range(4):
            device.submit(device.sign(alice, vault, "deposit", "k" * (i + round_), i + 1))
            device.submit(device.sign(bob, "carol", value={"ETH": 10**round_ + i}))
        pool = device.mempool.txs
        assert all(entry[3] is not None for entry in pool.values())
        if drop_stored:  # as a replayed item's: the block loop computes it
            for h, entry in pool.items():
                pool[h] = (*entry[:3], None)
        block = device.build_block()
        assert len(block.transactions) == 8
        used += [r.gas_used for r in block.receipts]
    return device.state_hash(), used


def test_the_block_loop_charges_the_same_with_or_without_the_stored_intrinsic_gas() -> None:
    stored, computed = run_blocks(False), run_blocks(True)
    assert stored == computed
    assert all(g > G.TX_BASE for g in stored[1])
