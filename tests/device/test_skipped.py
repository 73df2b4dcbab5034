"""What a block leaves out, and why: ``Block.skipped``, dropping what can never be valid,
typed bundle failures, and the memory a device keeps (history, bounded logs)."""

from __future__ import annotations

import pytest

from accord.device import (
    Bundle,
    BundleFailed,
    Device,
    DeviceConfig,
    DeviceError,
    Receipt,
    Rejected,
    Skipped,
    replay,
)
from accord.device.store import MemoryLog, NullLog
from tests.device.conftest import ETH, drain, intrinsic, make_device, make_genesis
from tests.device.sample_contracts import Vault


def skipped_by_hash(device: Device) -> dict[bytes, Skipped]:
    return {s.hash: s for s in device.blocks[-1].skipped}


def test_a_nonce_gap_is_skipped_and_waits() -> None:
    device = make_device()
    alice = device.account("alice")
    later = device.sign(alice, "bob", value={"ETH": 1}, nonce=1)
    device.submit(later)
    block = device.build_block()
    assert block.transactions == ()
    (skip,) = block.skipped
    assert skip == Skipped(later.hash, "tx", "nonce", skip.reason, False)
    assert "out of order" in skip.reason
    assert device.mempool.get(later.hash) is not None  # still pending
    first = device.sign(alice, "bob", value={"ETH": 1}, nonce=0)
    device.submit(first)
    assert device.build_block().transactions == (first, later)
    assert len(device.mempool) == 0


def test_a_used_nonce_is_dropped() -> None:
    """A pending transaction whose nonce another one uses first (here a bundle's: the
    mempool itself only replaces a nonce for a fee bump) is skipped and dropped."""
    device = make_device()
    alice = device.account("alice")
    one = device.sign(alice, "bob", value={"ETH": 1}, nonce=0, priority_fee=50)
    other = device.sign(alice, "carol", value={"ETH": 2}, nonce=0)  # same nonce
    device.submit_bundle(Bundle((one,)), sender="alice")
    device.submit(other)
    block = device.build_block()
    assert block.transactions == (one,)
    skip = skipped_by_hash(device)[other.hash]
    assert (skip.field, skip.dropped) == ("nonce", True)
    assert "replayed" in skip.reason
    assert len(device.mempool) == 0


def test_fields_that_can_never_be_valid_are_refused_or_dropped() -> None:
    device = make_device()
    alice, bob = device.account("alice"), device.account("bob")
    vault = device.deploy(alice, Vault)
    inverted = device.sign(alice, "bob", value={"ETH": 1}, max_fee=5_000, priority_fee=10_000)
    # Even its lowest possible price, min(priority_fee, max_fee), times its gas limit
    # exceeds all the ETH there is: carol cannot pay it.
    whale = device.sign(
        device.account("carol"),
        "bob",
        gas_limit=1_000_000,
        max_fee=10 * ETH,
        priority_fee=10 * ETH,
    )
    for tx, field in ((inverted, "priority_fee"), (whale, "sender")):
        with pytest.raises(Rejected) as info:
            device.submit(tx)
        assert info.value.field == field
    # A method the contract does not expose is found when the call runs: dropped.
    no_method = device.sign(bob, vault, "not_public")
    device.submit(no_method)
    block = device.build_block()
    assert block.transactions == ()
    found = skipped_by_hash(device)
    assert {h: (s.field, s.dropped) for h, s in found.items()} == {
        no_method.hash: ("method", True),
    }
    assert len(device.mempool) == 0


def test_a_sender_short_of_funds_now_stays_pending_and_pays_later() -> None:
    device = make_device()
    alice = device.account("alice")
    device.call(alice, "empty", value={"ETH": ETH // 100})
    device.submit(drain(device, "empty"))
    tx = device.sign(device.account("empty"), "bob", value={"ETH": 1})  # admitted alone
    device.submit(tx)
    block = device.build_block()
    skip = skipped_by_hash(device)[tx.hash]
    assert (skip.kind, skip.field, skip.dropped) == ("tx", "sender", False)
    assert block.transactions != () and tx not in block.transactions
    device.call(alice, "empty", value={"ETH": ETH // 2})  # automine: funds arrive
    assert device.mempool.get(tx.hash) is not None
    assert device.build_block().transactions == (tx,)


def test_an_item_that_does_not_fit_is_skipped_with_the_gas_left() -> None:
    device = make_device(block_gas_limit=100_000)
    alice, bob = device.account("alice"), device.account("bob")
    big = device.sign(alice, "carol", value={"ETH": 1}, gas_limit=90_000, priority_fee=9)
    small = device.sign(bob, "carol", value={"ETH": 1}, gas_limit=80_000)
    device.submit(big)
    device.submit(small)
    block = device.build_block()
    assert block.transactions == (big,)
    skip = skipped_by_hash(device)[small.hash]
    assert skip.field == "gas_limit" and not skip.dropped
    used = block.receipts[0].gas_used  # intrinsic (with calldata) + one ledger op
    assert used == intrinsic(device, block.receipts[0]) + 9_000
    assert skip.reason == f"needs 80000 gas, the block has {100_000 - used} left"
    assert device.build_block().transactions == (small,)


def test_a_failed_bundle_is_skipped_naming_the_transaction() -> None:
    device = make_device()
    alice = device.account("alice")
    vault = device.deploy(alice, Vault)
    pay = device.sign(alice, "bob", value={"ETH": 1})
    fail = device.sign(alice, vault, "deposit_then_revert", "y", 1, nonce=pay.nonce + 1)
    bundle = Bundle((pay, fail), max_block=device.number + 2)
    device.submit_bundle(bundle, sender="alice")
    device.build_block()
    (skip,) = device.blocks[-1].skipped
    assert (skip.hash, skip.kind, skip.field, skip.dropped) == (
        bundle.hash,
        "bundle",
        "txs[1]",
        False,
    )
    assert skip.reason.startswith("txs[1]: reverted")
    assert device.mempool.bundle(bundle.hash) is not None  # tried again until max_block


def test_a_bundle_whose_nonce_is_used_is_dropped() -> None:
    device = make_device()
    alice = device.account("alice")
    stale = device.sign(alice, "bob", value={"ETH": 1})
    device.submit_bundle(Bundle((stale,)), sender="alice")  # no max_block: would wait forever
    device.call(alice, "carol", value={"ETH": 1}, nonce=stale.nonce)  # uses the nonce first
    device.build_block()
    (skip,) = device.blocks[-1].skipped
    assert (skip.field, skip.dropped) == ("txs[0]", True)
    assert device.mempool.bundles() == []
    with pytest.raises(BundleFailed) as info:  # and it cannot come back
        device.submit_bundle(Bundle((stale,)), sender="alice")
    assert info.value.field == "txs[0]" and info.value.cause is not None
    assert info.value.cause.field == "nonce"


def test_bundle_failed_is_a_rejection_naming_the_field() -> None:
    device = make_device()
    alice, bob = device.account("alice"), device.account("bob")
    good = device.sign(alice, "bob", value={"ETH": 1})
    forged = device.sign(bob, "alice", value={"ETH": 1})._replace(signature=b"\0" * 16)
    with pytest.raises(BundleFailed) as info:
        device.submit_bundle(Bundle((good, forged)), sender="alice")
    error = info.value
    assert isinstance(error, Rejected)
    assert (error.field, error.index) == ("txs[1]", 1)
    assert isinstance(error.cause, Rejected) and error.cause.field == "signature"
    assert str(error).startswith("txs[1]: signature: not signed by 'bob'")


def test_receipts_are_receipt_objects_and_found_by_hash() -> None:
    device = make_device()
    alice = device.account("alice")
    txs = [device.sign(alice, "bob", value={"ETH": i + 1}, nonce=i) for i in range(3)]
    for tx in txs:
        device.submit(tx)
    block = device.build_block()
    assert all(type(r) is Receipt for r in block.receipts)
    assert [r.tx_hash for r in block.receipts] == [tx.hash for tx in txs]
    assert device.receipt(txs[1].hash) == block.receipts[1]
    third = block.receipt(txs[2].hash)
    assert third.gas_used == intrinsic(device, third) + 9_000  # intrinsic + one ledger op


def test_history_bounds_blocks_receipts_and_the_memory_log() -> None:
    device = Device(DeviceConfig(), make_genesis(), history=2)
    alice = device.account("alice")
    sent = [device.call(alice, "bob", value={"ETH": 1}).tx_hash for _ in range(4)]
    assert [b.number for b in device.blocks] == [3, 4]
    assert len(device.headers) == 5  # headers are always kept
    log = device.log
    assert isinstance(log, MemoryLog) and log.truncated
    assert [r.number for r in log.records] == [3, 4]  # type: ignore[union-attr]
    assert device.receipt(sent[3]).ok
    with pytest.raises(KeyError):
        device.receipt(sent[0])  # its block left the history
    with pytest.raises(DeviceError, match="kept only its last 2 records"):
        replay(log)


def test_a_complete_memory_log_replays_and_a_null_log_keeps_nothing() -> None:
    full = make_device()
    full.call(full.account("alice"), "bob", value={"ETH": 1})
    assert isinstance(full.log, MemoryLog) and not full.log.truncated
    assert replay(full.log).state_hash() == full.state_hash()
    quiet = Device(DeviceConfig(), make_genesis(), store=NullLog())
    quiet.call(quiet.account("alice"), "bob", value={"ETH": 1})
    assert quiet.number == 1
    with pytest.raises(ValueError, match="limit must be positive"):
        MemoryLog(limit=0)
