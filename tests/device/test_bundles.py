"""Bundles: all-or-nothing, allowed reverts, block ranges, expiry, builders and sealing."""

from __future__ import annotations

from typing import ClassVar

import pytest

from accord.device import (
    Account,
    BuildRequest,
    Bundle,
    BundleFailed,
    Device,
    SealedBundle,
)
from accord.device.builder import Choice
from tests.device.conftest import balances, make_device
from tests.device.sample_contracts import Vault


def setup_vault() -> tuple[Device, Account, Account, str]:
    device = make_device()
    alice, bob = device.account("alice"), device.account("bob")
    vault = device.deploy(alice, Vault)
    return device, alice, bob, vault


def test_reverting_transaction_drops_the_whole_bundle_fees_included() -> None:
    device, alice, _bob, vault = setup_vault()
    control, *_ = setup_vault()
    assert control.state_hash() == device.state_hash()
    pay = device.sign(alice, "bob", value={"ETH": 1_000}, priority_fee=5)
    deposit = device.sign(alice, vault, "deposit", "x", 7, nonce=pay.nonce + 1)
    fail = device.sign(alice, vault, "deposit_then_revert", "y", 1, nonce=pay.nonce + 2)
    device.submit_bundle(Bundle((pay, deposit, fail), max_block=2), sender="alice")
    block = device.build_block()
    control.build_block()
    assert block.transactions == ()
    assert device.state_hash() == control.state_hash()
    assert balances(device) == balances(control)
    assert device.nonce("alice") == 1


def test_a_failed_bundle_restores_a_sender_its_own_calls_paid() -> None:
    """The nonce bump, prepayment and refund are not journaled by the block loop; a
    bundle's savepoint still undoes them, even when the call itself paid the sender."""
    device, alice, _bob, vault = setup_vault()
    control, *_ = setup_vault()
    for d in (device, control):
        assert d.call(d.account("alice"), vault, "pay_in", value={"ETH": 5_000}).ok
    assert control.state_hash() == device.state_hash()
    # the vault pays alice 3,000 of her fee asset inside the call, then the bundle fails
    withdraw = device.sign(alice, vault, "withdraw", 3_000, priority_fee=2)
    fail = device.sign(alice, vault, "deposit_then_revert", "y", 1, nonce=withdraw.nonce + 1)
    device.submit_bundle(Bundle((withdraw, fail), max_block=3), sender="alice")
    block = device.build_block()
    control.build_block()
    assert block.transactions == () and block.skipped[0].kind == "bundle"
    assert device.state_hash() == control.state_hash()
    assert balances(device) == balances(control)
    assert device.nonce("alice") == control.nonce("alice") == withdraw.nonce
    assert device.contract_at(vault).storage() == control.contract_at(vault).storage()


def test_a_listed_transaction_may_revert() -> None:
    device, alice, _bob, vault = setup_vault()
    before = balances(device)
    pay = device.sign(alice, "bob", value={"ETH": 1_000})
    fail = device.sign(alice, vault, "deposit_then_revert", "y", 1, nonce=pay.nonce + 1)
    device.submit_bundle(Bundle((pay, fail), reverting=frozenset({fail.hash})), sender="alice")
    block = device.build_block()
    assert block.transactions == (pay, fail)
    ok, reverted = block.receipts
    assert ok.ok and reverted.status == "reverted"
    after = balances(device)
    assert after["bob"] == before["bob"] + 1_000
    assert after["alice"] == before["alice"] - 1_000 - ok.fee_paid - reverted.fee_paid
    assert device.contract_at(vault).storage()["balances"] == {}
    assert device.mempool.bundle(Bundle((pay, fail)).hash) is None


def test_bundle_lands_contiguously_and_in_its_own_order() -> None:
    device = make_device(ordering="priority")
    alice, bob, carol = (device.account(n) for n in ("alice", "bob", "carol"))
    b1 = device.sign(bob, "x", value={"ETH": 1})  # no tip
    b2 = device.sign(carol, "x", value={"ETH": 1}, priority_fee=1)
    loose = device.sign(alice, "x", value={"ETH": 1}, priority_fee=1_000)
    device.submit(loose)
    device.submit_bundle(Bundle((b1, b2)), sender="bob")
    block = device.build_block()
    assert block.transactions == (loose, b1, b2)
    assert all(r.ok for r in block.receipts)


def test_rejected_transaction_drops_the_bundle() -> None:
    device, alice, bob, _vault = setup_vault()
    pay = device.sign(bob, "alice", value={"ETH": 5})
    gap = device.sign(alice, "bob", value={"ETH": 5}, nonce=device.nonce("alice") + 3)
    device.submit_bundle(Bundle((pay, gap), max_block=1), sender="bob")
    before = balances(device)
    assert device.build_block().transactions == ()
    after = balances(device)
    assert after == before
    assert device.nonce("bob") == 0


def test_failed_bundle_is_retried_while_in_range() -> None:
    device, alice, bob, vault = setup_vault()
    move = device.sign(bob, vault, "move", "bob", "carol", 5)
    device.submit_bundle(Bundle((move,)), sender="bob")
    assert device.build_block().transactions == ()  # bob holds nothing in the vault
    device.call(alice, vault, "deposit", "bob", 5)  # automine: only this tx
    block = device.build_block()
    assert block.transactions == (move,)
    assert device.contract_at(vault).storage()["balances"] == {"carol": 5}


def test_bundle_block_range_is_respected() -> None:
    device = make_device()
    alice = device.account("alice")
    tx = device.sign(alice, "bob", value={"ETH": 1})
    bundle = Bundle((tx,), min_block=3, max_block=4)
    device.submit_bundle(bundle, sender="alice")
    assert device.build_block().transactions == ()  # block 1
    assert device.build_block().transactions == ()  # block 2
    block = device.build_block()  # block 3
    assert block.number == 3 and block.transactions == (tx,)


def test_bundle_expires_after_max_block() -> None:
    device = make_device()
    alice = device.account("alice")
    device.build_block()
    late = Bundle((device.sign(alice, "bob", value={"ETH": 1}),), max_block=1)
    device.submit_bundle(late, sender="alice")
    assert device.mempool.bundle(late.hash) is not None
    assert device.build_block().transactions == ()  # block 2 > max_block
    assert device.mempool.bundle(late.hash) is None  # pruned
    assert device.balance("bob", "ETH") == 10**18
    # a bundle that keeps failing until its last block is dropped after it
    gap = device.nonce("alice") + 1  # a nonce gap: fails in every block
    failing = Bundle((device.sign(alice, "bob", value={"ETH": 1}, nonce=gap),), max_block=4)
    device.submit_bundle(failing, sender="alice")
    device.build_block()
    assert device.mempool.bundle(failing.hash) is not None
    device.build_block()  # block 4, the last
    assert device.mempool.bundle(failing.hash) is None


def test_forged_transaction_in_a_bundle_is_refused_at_submit() -> None:
    device = make_device()
    alice, bob = device.account("alice"), device.account("bob")
    good = device.sign(alice, "bob", value={"ETH": 1})
    forged = device.sign(Account("bob", alice.key), "alice", value={"ETH": 10**17})
    with pytest.raises(BundleFailed) as info:
        device.submit_bundle(Bundle((good, forged)), sender="alice")
    assert info.value.index == 1
    assert device.mempool.bundles() == []
    assert bob.address == "bob"


def test_bundle_tips_go_to_the_builder() -> None:
    device = make_device()
    alice = device.account("alice")
    before = device.balance("builder", "ETH")
    tx = device.sign(alice, "bob", value={"ETH": 1}, priority_fee=11)
    device.submit_bundle(Bundle((tx,)), sender="alice")
    (receipt,) = device.build_block().receipts
    assert receipt.tip_paid == 11 * receipt.gas_used
    assert device.balance("builder", "ETH") == before + receipt.tip_paid


class Recorder:
    follows_rule: ClassVar[bool] = True

    def __init__(self) -> None:
        self.address = "builder"
        self.seen: list[BuildRequest] = []

    def build(self, request: BuildRequest) -> list[Choice]:
        self.seen.append(request)
        choices: list[Choice] = [p.hash for p in request.pending]
        return choices + [b.hash for b in request.bundles]


def test_sealed_mempool_shows_the_builder_bundle_envelopes() -> None:
    device = make_device(mempool="sealed")
    alice = device.account("alice")
    tx = device.sign(alice, "bob", value={"ETH": 1}, priority_fee=3)
    bundle = Bundle((tx,))
    device.submit_bundle(bundle, sender="alice")
    recorder = Recorder()
    block = device.build_block(recorder)
    (envelope,) = recorder.seen[0].bundles
    assert isinstance(envelope, SealedBundle)
    assert (envelope.hash, envelope.size, envelope.tip) == (bundle.hash, 1, 3)
    assert block.transactions == (tx,)


def test_public_builder_sees_bundles_in_full_only_in_range() -> None:
    device = make_device()
    alice = device.account("alice")
    now = Bundle((device.sign(alice, "bob", value={"ETH": 1}),))
    later = Bundle((device.sign(alice, "carol", value={"ETH": 1}, nonce=5),), min_block=9)
    device.submit_bundle(now, sender="alice")
    device.submit_bundle(later, sender="alice")
    recorder = Recorder()
    device.build_block(recorder)
    assert [b.hash for b in recorder.seen[0].bundles] == [now.hash]


def test_builder_cannot_include_a_bundle_outside_its_range() -> None:
    device = make_device()
    alice = device.account("alice")
    tx = device.sign(alice, "bob", value={"ETH": 5})
    bundle = Bundle((tx,), min_block=5, max_block=6)
    device.submit_bundle(bundle, sender="alice")

    class Early:
        follows_rule: ClassVar[bool] = False
        address = "builder"

        def build(self, request: BuildRequest) -> list[Choice]:
            return [bundle.hash]

    block = device.build_block(Early())
    refused = block.builder_refused
    assert refused is not None and "outside its block range [5, 6]" in refused
    assert block.number == 1
    assert block.transactions == ()
    assert device.balance("bob", "ETH") == 10**18
