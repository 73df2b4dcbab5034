"""Commitments on the device: posting, Löbian resolution, atomic groups, bonds, expiry."""

from __future__ import annotations

import logging

import pytest

from accord.device import Device
from accord.device.commitments import MalformedCommitment
from accord.device.commitments.build import (
    balance,
    block,
    commitment,
    fires,
    transfer,
)
from accord.device.commitments.language import Bond, Commitment
from accord.device.commitments.registry import REGISTRY_ADDRESS
from accord.device.replay import replay
from accord.device.store import MemoryLog
from tests.device.conftest import make_device


def post(device: Device, *items: Commitment) -> None:
    for c in items:
        device.commit(device.account(c.owner), c)


def swap_pair(expiry: int = 5) -> tuple[Commitment, Commitment]:
    """Alice pays 300 USD for Bob's 4 TOK, each only if the other's side fires."""
    alice = commitment(
        "alice",
        "buy",
        expiry=expiry,
        condition=fires("bob/sell"),
        actions=[transfer("USD", "bob", 300)],
        requires={"TOK": 4},
    )
    bob = commitment(
        "bob",
        "sell",
        expiry=expiry,
        condition=fires("alice/buy"),
        actions=[transfer("TOK", "alice", 4)],
        requires={"USD": 300},
    )
    return alice, bob


def test_mutually_conditional_commitments_settle_together() -> None:
    device = make_device()
    post(device, *swap_pair())
    device.build_block()
    assert device.balance("alice", "USD") == 700 and device.balance("alice", "TOK") == 14
    assert device.balance("bob", "USD") == 1_300 and device.balance("bob", "TOK") == 6
    (res,) = device.resolutions
    assert res.fired == ("alice/buy", "bob/sell")
    assert [g.members for g in res.groups] == [("alice/buy", "bob/sell")]
    assert res.settled == ("alice/buy", "bob/sell")
    assert device.pending_commitments() == []


def test_one_sided_commitment_waits_then_expires() -> None:
    device = make_device()
    alice, _ = swap_pair(expiry=2)
    post(device, alice)
    device.build_block()
    assert [c.id for c in device.pending_commitments()] == ["alice/buy"]
    device.build_block()  # block 2 = expiry: it leaves without firing
    assert device.pending_commitments() == []
    assert device.balance("alice", "USD") == 1_000
    assert [g.members for g in device.resolutions[-1].expired] == [("alice/buy",)]


def test_a_group_that_would_overdraw_fails_whole_and_changes_nothing() -> None:
    device = make_device()
    alice, bob = swap_pair()
    greedy = alice.model_copy(update={"actions": [transfer("USD", "bob", 5_000)]})
    post(device, greedy, bob)
    before = device.state_hash()
    device.build_block()
    (res,) = device.resolutions
    (group,) = res.groups
    assert not group.ok and group.culprit == "alice/buy"
    assert "InsufficientFunds" in (group.error or "")
    assert device.balance("bob", "TOK") == 10 and device.balance("alice", "USD") == 1_000
    assert before != device.state_hash()  # the posting fees were paid ...
    assert [c.id for c in device.pending_commitments()] == ["bob/sell"]  # ... culprit struck


def test_a_broken_promise_forfeits_the_bond_to_the_counterparty() -> None:
    device = make_device()
    alice, bob = swap_pair()
    greedy = alice.model_copy(
        update={"actions": [transfer("USD", "bob", 5_000)], "bond": Bond(asset="USD", amount=100)}
    )
    post(device, greedy, bob)
    device.build_block()
    assert device.balance("alice", "USD") == 900  # bond lost ...
    assert device.balance("bob", "USD") == 1_100  # ... to the counterparty
    assert device.locked("alice", "USD", "commitments") == 0


def test_requirements_protect_the_owner() -> None:
    device = make_device()
    alice, bob = swap_pair()
    stingy = bob.model_copy(update={"actions": [transfer("TOK", "alice", 1)]})
    post(device, alice, stingy)
    device.build_block()
    (group,) = device.resolutions[0].groups
    assert not group.ok and group.culprit is None
    assert "alice/buy requires TOK to change by >= 4, got 1" in (group.error or "")
    assert device.balance("alice", "USD") == 1_000 and device.balance("bob", "TOK") == 10
    assert len(device.pending_commitments()) == 2  # nobody broke a promise


def test_state_conditions_read_the_block() -> None:
    device = make_device()
    later = commitment(
        "carol",
        "tip",
        expiry=9,
        condition=(block() >= 3) & (balance("$self", "USD") >= 1_000),
        actions=[transfer("USD", "dave", 10)],
    )
    post(device, later)
    device.build_blocks(2)
    assert device.balance("dave", "USD") == 1_000
    device.build_block()
    assert device.balance("dave", "USD") == 1_010
    assert device.resolutions[-1].fired == ("carol/tip",)


def test_otherwise_runs_at_expiry() -> None:
    device = make_device()
    fallback = commitment(
        "carol",
        "wait",
        expiry=2,
        condition=fires("nobody/x"),
        actions=[transfer("USD", "dave", 10)],
        otherwise=[transfer("USD", "bob", 7)],
    )
    post(device, fallback)
    device.build_block()
    assert device.balance("bob", "USD") == 1_000
    device.build_block()
    assert device.balance("bob", "USD") == 1_007 and device.balance("dave", "USD") == 1_000


def test_malformed_or_forged_commitments_change_nothing() -> None:
    device = make_device()
    before = device.state_hash()
    with pytest.raises(MalformedCommitment) as err:
        device.commit(device.account("alice"), {"owner": "alice", "label": "x", "expiry": "soon"})
    assert err.value.field == "expiry"
    _, bob = swap_pair()
    with pytest.raises(MalformedCommitment, match="owner: 'bob' is not the signer 'alice'"):
        device.commit(device.account("alice"), bob)
    assert device.state_hash() == before and not device.mempool.arrived(10**9)


def test_posting_is_logged_and_replays_to_the_same_hash() -> None:
    device = make_device()
    post(device, *swap_pair())
    device.build_blocks(2)
    assert isinstance(device.log, MemoryLog)
    assert replay(device.log).state_hash() == device.state_hash()


@pytest.mark.parametrize("args", ["[[1.5]]", '[[{"a":1}]]', "[[NaN]]", "[[" + "9" * 5_000 + "]]"])
def test_a_document_with_a_non_canonical_view_argument_cannot_stall_blocks(args: str) -> None:
    """Before the fix, ``[[1.5]]`` in a view atom's arguments passed the schema; the
    resolver's ``canonical(args)`` raised, the block rolled back with no item to blame
    and was sealed *empty*, and the post stayed pending: every later block was empty too
    (a payment sent beside it never landed). Now the post reverts naming the field and
    the payment lands in the same block."""
    device = make_device()
    atom = (
        f'{{"op":"view","contract":"registry","method":"count","args":{args},"cmp":">=","value":0}}'
    )
    document = f'{{"owner":"bob","label":"x","expiry":9,"condition":{atom}}}'
    post_tx = device.sign(
        device.account("bob"), REGISTRY_ADDRESS, "post", document, gas_limit=3_000_000
    )
    pay = device.sign(device.account("alice"), "carol", value={"USD": 5})
    device.submit(post_tx)
    device.submit(pay)
    errors: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = errors.append  # type: ignore[method-assign]
    logger = logging.getLogger("accord.device")
    logger.addHandler(handler)
    try:
        for _ in range(3):
            device.build_block()
    finally:
        logger.removeHandler(handler)
    assert errors == []  # no block rolled back
    assert device.balance("carol", "USD") == 1_005
    receipt = device.receipt(post_tx.hash)
    assert receipt is not None and receipt.status == "reverted" and receipt.error is not None
    assert "condition.view.args[0]" in receipt.error
    assert device.registry.count() == 0
    assert [len(b.transactions) for b in device.blocks][1] == 2


def test_a_view_atom_whose_arguments_are_not_canonical_is_false_not_an_error() -> None:
    """Defence in depth behind the schema: an atom built without validation (a
    ``model_construct``) whose arguments the device cannot hash reads as a failed view
    (false whatever its comparison, the contract not called), not an error that fails
    the block."""
    from accord.device.commitments.language import ViewCmp
    from accord.device.commitments.resolver import _Resolver

    device = make_device()
    resolver = _Resolver(device, device.registry, device.number + 1, 0)
    ran: list[tuple[object, ...]] = []
    resolver._run_view = lambda *a: ran.append(a) or 6  # type: ignore[method-assign]
    owner = commitment("bob", "x", expiry=3)
    valid = ViewCmp(contract="c", method="m", args=["k", [3, [None]]], cmp="==", value=6)
    assert resolver.state(valid, owner) is True
    assert ran == [("c", "m", ("k", (3, (None,))))]
    for bad in ([1.5], [{"a": 1}], [float("inf")], [[1, [2.0]]]):
        for cmp in ("==", "!="):
            atom = ViewCmp.model_construct(
                contract="c", method="m", args=["k", *bad], cmp=cmp, value=6
            )
            assert resolver.state(atom, owner) is False
    assert len(ran) == 1  # the contract was never called with them
