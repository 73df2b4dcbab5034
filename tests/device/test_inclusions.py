"""The inclusion lookup (``ctx.included``, ``Device.included``): each included
transaction's block in a tracked table, in the state hash, undone by a reorg."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.device import Device, DeviceConfig
from accord.device.keys import Keyring
from tests.device.fork_contracts import InclusionProbe
from tests.device.test_forks import build_prefix, ops, world

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def canonical(device: Device) -> dict[bytes, int]:
    """Every transaction of the current chain's blocks, with its block."""
    return {tx.hash: block.header.number for block in device.blocks for tx in block.transactions}


def test_default_is_on_exactly_when_blocks_can_fork() -> None:
    assert not DeviceConfig().records_inclusions
    assert DeviceConfig(finality_depth=2).records_inclusions
    assert DeviceConfig(record_inclusions=True).records_inclusions
    assert not DeviceConfig(finality_depth=2, record_inclusions=False).records_inclusions


def test_lookup_names_the_block_and_the_running_block_is_not_seen() -> None:
    device = world(Keyring(), 2)
    alice = device.account("alice")
    probe = device.deploy(alice, InclusionProbe)
    pay = device.sign(alice, "bob", value={"ETH": 3})
    device.submit(pay)
    look_now = device.sign(alice, probe, "look", pay.hash)
    device.submit(look_now)
    block = device.build_block()
    assert [r.ok for r in block.receipts] == [True, True]
    assert block.receipts[1].result is None  # same block: sealed after the call
    assert device.included(pay.hash) == block.header.number
    later = device.call(alice, probe, "look", pay.hash)
    assert later.ok and later.result == block.header.number
    assert device.included(b"\x00" * 32) is None


@SETTINGS
@given(
    k=st.integers(1, 3),
    prefix=st.lists(st.lists(ops, max_size=4), min_size=1, max_size=4),
    keep=st.lists(st.booleans(), min_size=20, max_size=20),
    depth_pick=st.integers(0, 2),
)
def test_table_is_the_canonical_chain_after_any_reorg(
    k: int, prefix: list[Any], keep: list[bool], depth_pick: int
) -> None:
    """After blocks and a reorg onto a subset of the reorged transactions, the table is
    exactly the current chain's transactions with their blocks, and the state hash
    (which covers it) matches the one recomputed from scratch (``world``'s hook)."""
    device = world(Keyring(), k)
    build_prefix(device, prefix)
    assert device.ledger.inclusions == canonical(device)
    depth = 1 + depth_pick % min(k, device.number)
    undone = [tx for b in list(device.blocks)[-depth:] for tx in b.transactions]
    kept = [tx for tx, flag in zip(undone, keep, strict=False) if flag]
    device.reorg(depth, [kept] + [[]] * depth)
    assert device.ledger.inclusions == canonical(device)
    for tx in undone:
        assert device.included(tx.hash) == canonical(device).get(tx.hash)


def test_a_reorg_undoes_what_a_contract_read() -> None:
    device = world(Keyring(), 2)
    alice = device.account("alice")
    probe = device.deploy(alice, InclusionProbe)
    pay = device.sign(alice, "bob", value={"ETH": 3})
    device.submit(pay)
    paid_in = device.build_block().header.number
    receipt = device.call(alice, probe, "look", pay.hash)
    assert receipt.result == paid_in
    # A double spend of pay's nonce replaces both blocks: pay is no longer canonical.
    spend = device.sign(
        alice,
        "carol",
        value={"ETH": 3},
        nonce=pay.nonce,
        max_fee=2 * pay.max_fee,
        priority_fee=pay.priority_fee + 10,
    )
    done = device.reorg(2, [[spend], [], []])
    assert done.refused == ()
    assert device.included(pay.hash) is None
    assert device.included(spend.hash) == paid_in
    assert device.view(probe, "seen_of", pay.hash) == -2  # the read's write was undone too
    # The probe's call came back to the pool; run again, it reads the new chain.
    assert done.returned == (receipt.tx_hash,)
    again = device.build_block()
    assert [(r.ok, r.result) for r in again.receipts] == [(True, None)]
    assert device.view(probe, "seen_of", pay.hash) == -1


junk = st.one_of(
    st.none(),
    st.integers(-(10**30), 10**30),
    st.text(max_size=40),
    st.binary(max_size=31),
    st.binary(min_size=33, max_size=40),
    st.lists(st.integers(), max_size=3),
)


@SETTINGS
@given(arg=junk)
def test_junk_hashes_revert_one_line_and_change_nothing(arg: object) -> None:
    device = world(Keyring(), 1)
    alice = device.account("alice")
    probe = device.deploy(alice, InclusionProbe)
    receipt = device.call(alice, probe, "look", arg)
    assert not receipt.ok and receipt.error is not None and "\n" not in receipt.error
    assert device.view(probe, "seen_of", b"\x00" * 32) == -2
    with pytest.raises(TypeError, match="32 bytes"):
        device.included(arg)


def test_off_device_refuses_the_lookup() -> None:
    device = world(Keyring(), 0)
    assert device.ledger.inclusions == {}
    alice = device.account("alice")
    probe = device.deploy(alice, InclusionProbe)
    receipt = device.call(alice, probe, "look", b"\x00" * 32)
    assert not receipt.ok and "records no inclusions" in (receipt.error or "")
    with pytest.raises(ValueError, match="records no inclusions"):
        device.included(b"\x00" * 32)
    assert device.ledger.inclusions == {}
