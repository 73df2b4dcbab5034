"""CommitmentRace under generated hostile calls: commits, seals, reveals, plays and
settlements in any order and phase, by players, the sponsor, outsiders and a contract,
with junk actions, commitments, salts and values, under the priority and batch rules.

After every call: the pot is in the contract whole until settlement and paid out whole
after it, at most one player is bound and never while the race is cancelled, a bound
player's play is its commitment, and the shared checks of
:class:`~tests.contracts.hostile_args.Hostile` (no money created or destroyed, nobody
but the caller pays, a revert changes nothing but its fee)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.contracts.commitment_race import CommitmentRace
from accord.device import Device, Receipt
from accord.mechanisms.commit_reveal import commitment_hash
from tests.contracts.hostile_args import (
    SALT,
    Hostile,
    Relay,
    Snapshot,
    Step,
    call,
    commitments,
    hostile_device,
    mixed,
    relayed,
    salts,
    steps,
)

CHICKEN = ("chicken", 5_000, 3_000, 1_000, 0, 0)
ULTIMATUM = ("ultimatum", 0, 0, 0, 0, 100)
ACTION = mixed(st.integers(0, 1), st.integers(0, 100))
METHODS = {
    "commit": call(ACTION),
    "seal": call(commitments(st.integers(0, 1))),
    "reveal": call(ACTION, salts()),
    "play": call(ACTION),
    "settle": call(),
    "fund": call(value=st.sampled_from((None, {"USD": 6_000}, {"USD": 100}, {"USD": 1}))),
    "status": call(),
    "@relay:relay": relayed("@target", {"commit": st.tuples(ACTION), "settle": st.tuples()}),
}


def invariant(address: str, pot: int) -> object:
    def check(device: Device) -> None:
        s = device.contract_at(address).storage()
        held = device.balance(address, "USD")
        if s.get("settled", False):
            assert held == 0, f"a settled race holds {held}"
        else:
            assert held == (pot if s.get("funded", False) else 0), held
        bound = s.get("bound", -1)
        assert bound in (-1, 0, 1)
        assert not (bound != -1 and s.get("cancelled", False))
        if bound != -1 and bound in s["plays"]:
            assert s["plays"][bound] == s.get("bound_action", 0)

    return check


def rule(address: str, device: Device) -> object:
    def check(step: Step, before: Snapshot, receipt: Receipt) -> None:
        s = before.storage[address]
        players = s["players"]
        if step.method == "commit" and step.who not in players:
            # under the batch rule a refused commitment is settled as False, changing nothing
            assert receipt.result is False, step
            assert device.contract_at(address).storage() == s, step
            return
        if step.method in ("commit", "seal", "reveal", "play"):
            assert step.who in players, step
        if step.method == "fund":
            assert step.who == s["sponsor"] and not s.get("funded", False)
        if step.method == "settle":
            assert not s.get("settled", False)

    return check


@settings(max_examples=100, deadline=None)
@given(
    steps(METHODS, senders=("bob", "carol", "alice", "mallory"), focus=("commit", "play")),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_commitment_race_hostile_sequences(
    sequence: list[Step], batch: bool, sealed: bool, ultimatum: bool
) -> None:
    device = hostile_device(ordering="batch" if batch else "priority")
    relay = device.deploy(device.account("mallory"), Relay)
    game = ULTIMATUM if ultimatum else CHICKEN
    pot = 100 if ultimatum else 6_000
    now = device.number + 1
    ends = (now + 3, now + 6, now + 9) if sealed else (now + 3, now + 3, now + 6)
    address = device.deploy(
        device.account("alice"), CommitmentRace, game, "USD", ("bob", "carol"), *ends, sealed
    )
    hostile = Hostile(device, watch=[address], aliases={"@relay": relay})
    hostile.invariant = invariant(address, pot)  # type: ignore[assignment]
    hostile.rule = rule(address, device)  # type: ignore[assignment]
    done = hostile.send("alice", address, "fund", value={"USD": pot})
    assert done is not None and done.ok, done
    if sealed:
        hostile.send("bob", address, "seal", commitment_hash(1, SALT, "bob"))
    else:
        hostile.send("bob", address, "commit", 1)
    hostile.run(address, sequence)
    hostile.mine(max(0, ends[2] + 1 - device.number))
    hostile.send("mallory", address, "settle")
    assert device.contract_at(address).storage()["settled"]
    assert device.balance(address, "USD") == 0
