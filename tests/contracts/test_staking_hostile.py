"""Staking under generated hostile calls.

Every method of :class:`~accord.contracts.staking.Staking` is called with hostile
arguments, by any user or by a contract (a configured slasher among them), in any order:
unbond before bond, withdraw before the delay, slash by a stranger, attest without a
bond, report one's own or a non-existent equivocation, report twice. After every call:
each staker's lock equals its bond plus its unbonding queue, ``total`` is the sum of the
bonds, a tombstoned staker stays tombstoned and never gains a bond, and a successful
slash, withdrawal or governance change was the caller's to make.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord.contracts.staking import BURN_ADDRESS, Staking
from accord.device import Device, Receipt
from accord.mechanisms.slashing import mature
from tests.contracts.hostile_args import (
    USERS,
    Hostile,
    Relay,
    Snapshot,
    Step,
    amounts,
    call,
    canonical_values,
    hostile_device,
    mixed,
    names,
    relayed,
    steps,
)

SLOT = mixed(st.integers(0, 2))
METHODS = {
    "bond": call(amounts(5_000)),
    "unbond": call(amounts(5_000)),
    "withdraw": call(),
    "slash": call(names(), amounts(5_000), mixed(st.sampled_from(("", *USERS)))),
    "attest": call(SLOT, mixed(st.integers(0, 2), canonical_values())),
    "report_double_sign": call(names(), SLOT),
    "set_slasher": call(names("@relay"), mixed(st.booleans())),
    "renounce_governor": call(),
    "bonded": call(names()),
    "slashable": call(names()),
    "unbonding": call(names()),
    "@relay:relay": relayed(
        "@target",
        {
            "slash": st.tuples(names(), amounts(5_000), st.just("mallory")),
            "bond": st.tuples(amounts(5_000)),
            "report_double_sign": st.tuples(names(), SLOT),
        },
    ),
}


def staking_invariant(staking: str, tombs: set[str]) -> object:
    def check(device: Device) -> None:
        s = device.contract_at(staking).storage()
        stakers = set(s["stakes"]) | set(s["queues"])
        expect = {
            who: s["stakes"].get(who, 0) + sum(a for a, _ in s["queues"].get(who, ()))
            for who in stakers
        }
        expect = {who: n for who, n in expect.items() if n}
        held = {o: n for (o, a, h), n in device.ledger.locked.items() if h == staking}
        assert held == expect, (held, expect)
        assert s["total"] == sum(s["stakes"].values())
        assert tombs <= set(s["tombstoned"]), "a tombstone was lifted"
        tombs.update(s["tombstoned"])

    return check


def staking_rule(staking: str, device: Device) -> object:
    def rule(step: Step, before: Snapshot, receipt: Receipt) -> None:
        s = before.storage[staking]
        if step.method == "slash":
            assert s["slashers"].get(step.who), f"{step.who} slashed without being a slasher"
        elif step.method in ("set_slasher", "renounce_governor"):
            assert step.who == s["governor"] != ""
        elif step.method == "report_double_sign":
            offender, slot = step.args
            assert step.who != offender and (offender, slot) in s["conflicts"]
            assert offender not in s["tombstoned"]
        elif step.method == "bond":
            assert step.who not in s["tombstoned"]
        elif step.method == "withdraw":
            ready, _ = mature(s["queues"].get(step.who, ()), device.number)
            assert receipt.result == ready > 0

    return rule


@settings(max_examples=150, deadline=None)
@given(steps(METHODS, senders=("bob", "carol", "alice", "mallory")))
@example([Step("alice", "bond", (True,)), Step("alice", "unbond", (1.0,))])
def test_staking_hostile_sequences(sequence: list[Step]) -> None:
    device = hostile_device()
    relay = device.deploy(device.account("mallory"), Relay)
    staking = device.deploy(
        device.account("alice"),
        Staking,
        "USD",
        3,
        ("carol", relay),
        BURN_ADDRESS,
        1_000,
        5_000,
        "alice",
    )
    hostile = Hostile(device, watch=[staking], aliases={"@relay": relay})
    hostile.invariant = staking_invariant(staking, set())  # type: ignore[assignment]
    hostile.rule = staking_rule(staking, device)  # type: ignore[assignment]
    # stakes to attack: bonds, an unbonding entry, an equivocation waiting to be reported
    for who, method, args in (
        ("bob", "bond", (2_000,)),
        ("carol", "bond", (2_000,)),
        ("bob", "unbond", (500,)),
        ("bob", "attest", (0, "a")),
        ("bob", "attest", (0, "b")),
    ):
        done = hostile.send(who, staking, method, *args)
        assert done is not None and done.ok, done
    hostile.run(staking, sequence)
