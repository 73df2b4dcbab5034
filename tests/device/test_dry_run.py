"""accord.device.dry_run: a transaction run in the next block's environment and undone.

A dry run changes nothing (the state hash, balances, nonces and the mempool are the
head's afterwards, and the next block is the one a device that never dry-ran builds),
it runs after what is pending (so it sees the pending block's effects), and a
transaction the block would refuse comes back with the refusal's field."""

from __future__ import annotations

from accord.device import Device
from accord.device.dry_run import NO_ROOM, DryRun, dry_run
from tests.device.conftest import make_device


def _pending_pair() -> tuple[Device, Device]:
    """Twin devices (same keys' seed, same config), alice's 600 USD to bob pending."""
    a, b = make_device(seed=3), make_device(seed=3)
    for d in (a, b):
        d.submit(d.sign(d.account("alice"), "bob", value={"USD": 600}))
    return a, b


def test_a_dry_run_sees_the_pending_block_and_changes_nothing() -> None:
    device, twin = _pending_pair()
    before = (device.state_hash(), device.balance("bob", "USD"), device.nonce("bob"))
    pending = len(device.mempool)
    # bob holds 1,000 USD: 1,500 is only payable after alice's pending 600 lands
    tx = device.sign(device.account("bob"), "carol", value={"USD": 1_500})
    run = dry_run(device, tx)
    assert run.receipt is not None and run.skipped is None
    assert run.receipt[1] == "success"
    assert (device.state_hash(), device.balance("bob", "USD"), device.nonce("bob")) == before
    assert len(device.mempool) == pending
    device.build_block()
    twin.build_block()
    assert device.state_hash() == twin.state_hash()
    assert device.balance("bob", "USD") == 1_600 and device.balance("carol", "USD") == 1_000


def test_a_transaction_the_block_refuses_comes_back_with_the_refusal() -> None:
    device, _ = _pending_pair()
    before = device.state_hash()
    stale = device.sign(device.account("bob"), "carol", value={"USD": 1}, nonce=7)
    run = dry_run(device, stale)
    assert run.receipt is None and run.skipped is not None
    field, reason = run.refusal
    assert field == "nonce" and reason
    assert device.state_hash() == before


def test_a_run_with_neither_receipt_nor_refusal_says_no_room() -> None:
    assert DryRun(None, None).refusal == (None, NO_ROOM)
