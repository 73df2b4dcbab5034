"""The conformance checks pass on good runs and catch corrupted ones."""

from __future__ import annotations

import random

import pytest

from accord.device import Bundle, Device, ReplayMismatch, checks
from accord.device.checks import InvariantViolation
from tests.device.conftest import make_device
from tests.device.sample_contracts import Escrow, Vault


def good_run(seed: int = 0) -> Device:
    device = make_device(seed=seed)
    alice, bob = device.account("alice"), device.account("bob")
    vault = device.deploy(alice, Vault)
    escrow = device.deploy(bob, Escrow)
    device.call(alice, vault, "pay_in", value={"ETH": 1_000})
    device.call(bob, escrow, "deposit", "USD", 300)
    device.call(bob, escrow, "pay", "USD", 100, "carol")
    device.call(alice, vault, "deposit_then_revert", "x", 1)
    tx = device.sign(alice, "dave", value={"TOK": 2})
    device.submit_bundle(Bundle((tx,)), sender="alice")
    device.submit(device.sign(bob, "carol", value={"ETH": 5}))
    device.build_blocks(2)
    return device


def test_checks_pass_on_a_good_run() -> None:
    device = good_run()
    checks.conservation(device)
    checks.no_negative_balances(device)
    checks.block_invariants(device)
    assert checks.replay_equality(device) == device.state_hash()
    assert checks.determinism(good_run, seed=3) == good_run(3).state_hash()


def test_conservation_catches_a_minted_unit() -> None:
    device = good_run()
    device.ledger.balances[("alice", "ETH")] += 1
    with pytest.raises(InvariantViolation, match="ETH: held"):
        checks.conservation(device)
    checks.no_negative_balances(device)  # still nothing negative


def test_conservation_catches_a_corrupted_lock_or_supply() -> None:
    device = good_run()
    key = next(iter(device.ledger.locked))
    device.ledger.locked[key] += 5
    with pytest.raises(InvariantViolation, match="USD"):
        checks.conservation(device)
    device.ledger.locked[key] -= 5
    checks.conservation(device)
    device.ledger.supply["TOK"] -= 1
    with pytest.raises(InvariantViolation, match="TOK"):
        checks.block_invariants(device)


def test_no_negative_balances_catches_a_negative_balance() -> None:
    device = good_run()
    ledger = device.ledger
    ledger.balances[("alice", "USD")] -= 2_000  # now -1_000
    ledger.balances[("bob", "USD")] += 2_000  # conservation still holds
    checks.conservation(device)
    with pytest.raises(InvariantViolation, match="negative balance"):
        checks.no_negative_balances(device)


def test_check_every_block_raises_at_the_corrupted_block() -> None:
    device = make_device(check=False)
    checks.check_every_block(device)
    device.build_block()
    device.ledger.balances[("bob", "ETH")] += 1
    with pytest.raises(InvariantViolation, match="block 2"):
        device.build_block()


def test_replay_equality_catches_state_changed_outside_transactions() -> None:
    device = good_run()
    device.ledger.balances[("alice", "ETH")] += 1
    with pytest.raises(InvariantViolation, match="replay gave"):
        checks.replay_equality(device)


def test_replay_mismatch_names_the_block() -> None:
    device = make_device(check=False)
    device.build_block()
    # A mint through the ledger, but outside any transaction: not in the event log.
    device.ledger.mint("ETH", "alice", 1, by="treasury")
    device.build_block()
    with pytest.raises(ReplayMismatch, match="block 2"):
        checks.replay_equality(device)


def test_state_hash_matches_catches_writes_behind_the_ledgers_back() -> None:
    device = good_run()
    assert checks.state_hash_matches(device) == device.state_hash()
    device.ledger.balances[("alice", "ETH")] += 1  # untracked: the incremental hash misses it
    with pytest.raises(InvariantViolation, match=r"incremental .* != recomputed"):
        checks.state_hash_matches(device)
    device.ledger.balances[("alice", "ETH")] -= 1
    assert checks.state_hash_matches(device) == device.state_hash()


def test_determinism_catches_hidden_randomness() -> None:
    rng = random.Random(0)

    def leaky(seed: int) -> Device:
        device = make_device(seed=seed)
        device.call(device.account("alice"), "bob", value={"ETH": rng.randrange(1, 10**6)})
        return device

    with pytest.raises(InvariantViolation, match="two state hashes"):
        checks.determinism(leaky, seed=0)


def test_state_hash_depends_on_values_not_history() -> None:
    a, b = make_device(check=False), make_device(check=False)
    a.ledger.transfer("USD", "alice", "bob", 10)
    a.ledger.transfer("USD", "bob", "alice", 10)
    assert a.state_hash() == b.state_hash()
    a.ledger.transfer("USD", "alice", "bob", 1_000)  # alice's zero is absent, not 0
    b.ledger.transfer("USD", "alice", "bob", 1_000)
    assert ("alice", "USD") not in a.ledger.balances
    assert a.state_hash() == b.state_hash()
