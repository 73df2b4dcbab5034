"""CommitReveal and SealedBidAuction under generated hostile calls.

Commits, reveals, finalize/settle are drawn in any order and phase (reveal before
commit, commit after its window, settle before the end, settle twice), by any user or
by a contract, with hostile commitments (copied from another user, wrong length, not
bytes), hostile values, salts, deposits and bids. After every call: what the contract
holds locked is exactly the deposits still at stake (nothing after finalize/settle), the
contract keeps no free balance (forfeits are paid out), a successful call was allowed
in its phase, and the shared checks of :class:`~tests.contracts.hostile_args.Hostile`.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord.contracts.commit_reveal import CommitReveal
from accord.contracts.sealed_bid import SealedBidAuction
from accord.device import Device, Receipt
from accord.mechanisms import commit_reveal as CR
from tests.contracts.hostile_args import (
    SALT,
    Hostile,
    Relay,
    Snapshot,
    Step,
    amounts,
    call,
    canonical_values,
    commitments,
    hostile_device,
    mixed,
    names,
    relayed,
    salts,
    steps,
)

VALUE = mixed(st.just(1), st.integers(0, 2), canonical_values())
ROUND = {
    "commit": call(commitments(st.integers(0, 2))),
    "reveal": call(VALUE, salts()),
    "finalize": call(),
    "phase": call(),
    "commitment_of": call(names()),
    "revealed": call(names()),
    "@relay:relay": relayed(
        "@target",
        {"commit": st.tuples(commitments(st.integers(0, 2))), "finalize": st.tuples()},
    ),
}
DEPOSIT = 100


def round_invariant(address: str) -> object:
    def check(device: Device) -> None:
        s = device.contract_at(address).storage()
        at_stake = {
            who: DEPOSIT
            for who in s["commits"]
            if who not in s["reveals"] and not s.get("finalized", False)
        }
        held = {o: n for (o, a, h), n in device.ledger.locked.items() if h == address}
        assert held == at_stake, (held, at_stake)
        assert device.balance(address, "USD") == 0, "forfeits stayed in the contract"
        assert s.get("revealed_count", 0) == len(s["reveals"])

    return check


def round_rule(address: str, device: Device) -> object:
    def rule(step: Step, before: Snapshot, receipt: Receipt) -> None:
        s = before.storage[address]
        phase = CR.phase(device.number, s["commit_end"], s["reveal_end"])
        want = {"commit": CR.COMMIT, "reveal": CR.REVEAL, "finalize": CR.CLOSED}
        if step.method in want:
            assert phase == want[step.method], (step, phase)
        if step.method == "reveal":
            value, salt = step.args
            assert CR.commitment_hash(value, salt, step.who) == s["commits"][step.who][0]
            assert step.who not in s["reveals"]
        if step.method == "finalize":
            assert not s.get("finalized", False)

    return rule


@settings(max_examples=120, deadline=None)
@given(steps(ROUND, senders=("bob", "carol", "alice", "mallory")), st.booleans(), st.booleans())
@example([Step("bob", "reveal", (1, SALT))], False, False)
def test_commit_reveal_hostile_sequences(
    sequence: list[Step], redistribute: bool, reveal_first: bool
) -> None:
    device = hostile_device()
    relay = device.deploy(device.account("mallory"), Relay)
    now = device.number + 1
    address = device.deploy(
        device.account("alice"),
        CommitReveal,
        "USD",
        DEPOSIT,
        now + 4,
        now + 8,
        "treasury",
        redistribute,
    )
    hostile = Hostile(device, watch=[address], aliases={"@relay": relay})
    hostile.invariant = round_invariant(address)  # type: ignore[assignment]
    hostile.rule = round_rule(address, device)  # type: ignore[assignment]
    for who in ("bob", "carol"):  # two commitments to attack
        done = hostile.send(who, address, "commit", CR.commitment_hash(1, SALT, who))
        assert done is not None and done.ok, done
    if reveal_first:  # the attack starts in the reveal window, bob having revealed
        hostile.mine(now + 4 - device.number)
        done = hostile.send("bob", address, "reveal", 1, SALT)
        assert done is not None and done.ok, done
    hostile.run(address, sequence)


# -- sealed-bid auctions ------------------------------------------------------------------
ITEM = 10
AUCTION = {
    "commit": call(commitments(st.integers(0, 300)), amounts(400)),
    "reveal": call(mixed(st.sampled_from((120, 200)), st.integers(0, 300)), salts()),
    "settle": call(),
    "phase": call(),
    "bid_of": call(names()),
    "outcome": call(),
    "@relay:relay": relayed(
        "@target",
        {
            "commit": st.tuples(commitments(st.integers(0, 300)), amounts(400)),
            "settle": st.tuples(),
        },
    ),
}


def auction_invariant(address: str) -> object:
    def check(device: Device) -> None:
        s = device.contract_at(address).storage()
        held = {(o, a): n for (o, a, h), n in device.ledger.locked.items() if h == address}
        if s.get("result") is not None:
            assert held == {}, f"settled auction still holds {held}"
            return
        expect = {(who, "USD"): bid[1] for who, bid in s["bids"].items()}
        expect[(s["seller"], "GOLD")] = ITEM
        assert held == expect, (held, expect)

    return check


def auction_rule(address: str, device: Device) -> object:
    def rule(step: Step, before: Snapshot, receipt: Receipt) -> None:
        s = before.storage[address]
        phase = CR.phase(device.number, s["commit_end"], s["reveal_end"])
        want = {"commit": CR.COMMIT, "reveal": CR.REVEAL, "settle": CR.CLOSED}
        if step.method in want:
            assert phase == want[step.method], (step, phase)
        if step.method == "commit":
            assert step.who != s["seller"] and step.who not in s["bids"]
        if step.method == "reveal":
            bid, salt = step.args
            commitment, deposit, _, revealed = s["bids"][step.who]
            assert revealed is None and CR.commitment_hash(bid, salt, step.who) == commitment
            assert type(bid) is int and 0 <= bid <= deposit
        if step.method == "settle":
            assert s.get("result") is None
            winner, price = receipt.result
            bids = {w: b[3] for w, b in s["bids"].items() if b[3] is not None}
            if winner:
                assert bids[winner] == max(bids.values()) and s["reserve"] <= price <= bids[winner]
                assert device.balance(winner, "GOLD") >= ITEM
            else:
                assert all(b < s["reserve"] for b in bids.values())

    return rule


@settings(max_examples=120, deadline=None)
@given(
    steps(AUCTION, senders=("bob", "carol", "alice", "mallory")),
    st.sampled_from(("first_price", "second_price")),
    st.booleans(),
)
@example(
    [Step("alice", "commit", (CR.commitment_hash(5, SALT, "alice"), 100))], "first_price", False
)
def test_sealed_bid_hostile_sequences(sequence: list[Step], rule: str, reveal_first: bool) -> None:
    device = hostile_device()
    relay = device.deploy(device.account("mallory"), Relay)
    now = device.number + 1
    address = device.deploy(
        device.account("alice"),
        SealedBidAuction,
        rule,
        "GOLD",
        ITEM,
        "USD",
        50,
        100,
        30,
        now + 4,
        now + 8,
        "treasury",
    )
    hostile = Hostile(device, watch=[address], aliases={"@relay": relay})
    hostile.invariant = auction_invariant(address)  # type: ignore[assignment]
    hostile.rule = auction_rule(address, device)  # type: ignore[assignment]
    for who, bid in (("bob", 120), ("carol", 200)):  # two sealed bids to attack
        done = hostile.send(who, address, "commit", CR.commitment_hash(bid, SALT, who), 250)
        assert done is not None and done.ok, done
    if reveal_first:  # the attack starts in the reveal window, bob having revealed
        hostile.mine(now + 4 - device.number)
        done = hostile.send("bob", address, "reveal", 120, SALT)
        assert done is not None and done.ok, done
    hostile.run(address, sequence)
