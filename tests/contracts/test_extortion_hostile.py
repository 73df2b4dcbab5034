"""Extortion under generated hostile calls: threats, payments, pledges, settlements and
funding in any order, by anyone (a contract too), with junk demands and values.

After every call: the pot is held whole until settlement and paid out whole after it; a
pledged target never pays and no threat is accepted after a pledge; the shared checks of
:class:`~tests.contracts.hostile_args.Hostile`."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.contracts.extortion import Extortion
from accord.device import Device, Receipt
from tests.contracts.hostile_args import (
    Hostile,
    Relay,
    Snapshot,
    Step,
    amounts,
    call,
    hostile_device,
    relayed,
    steps,
)

W, H, C = 1_000, 800, 300
METHODS = {
    "threaten": call(amounts(W)),
    "pay": call(),
    "pledge": call(),
    "settle": call(),
    "status": call(),
    "fund": call(value=st.sampled_from((None, {"USD": 2 * W}, {"USD": W}, {"TOK": 2 * W}))),
    "@relay:relay": relayed("@target", {"threaten": st.tuples(amounts(W)), "pay": st.tuples()}),
}


def invariant(address: str) -> object:
    def check(device: Device) -> None:
        s = device.contract_at(address).storage()
        held = device.balance(address, "USD")
        if s.get("settled", False):
            assert held == 0
        else:
            assert held == (2 * W if s.get("funded", False) else 0)
        assert not (s.get("pledged", False) and s.get("paid", False) and s.get("demand", 0) == 0)

    return check


def rule(address: str) -> object:
    def check(step: Step, before: Snapshot, receipt: Receipt) -> None:
        s = before.storage[address]
        if step.method == "threaten":
            assert step.who == "bob" and not s.get("pledged", False) and not s.get("demand", 0)
        if step.method == "pay":
            assert step.who == "carol" and not s.get("pledged", False) and s.get("demand", 0)
        if step.method == "pledge":
            assert step.who == "carol"

    return check


@settings(max_examples=100, deadline=None)
@given(steps(METHODS, senders=("bob", "carol", "alice", "mallory")), st.booleans())
def test_extortion_hostile_sequences(sequence: list[Step], pledge_first: bool) -> None:
    device = hostile_device()
    relay = device.deploy(device.account("mallory"), Relay)
    now = device.number + 1
    address = device.deploy(
        device.account("alice"), Extortion, "USD", "bob", "carol", W, H, C, now + 5, now + 8
    )
    hostile = Hostile(device, watch=[address], aliases={"@relay": relay})
    hostile.invariant = invariant(address)  # type: ignore[assignment]
    hostile.rule = rule(address)  # type: ignore[assignment]
    assert (done := hostile.send("alice", address, "fund", value={"USD": 2 * W})) and done.ok
    if pledge_first:
        assert (done := hostile.send("carol", address, "pledge")) and done.ok
        refused = hostile.send("bob", address, "threaten", H - 1)
        assert refused is not None and not refused.ok and "pledged" in (refused.error or "")
    hostile.run(address, sequence)
    hostile.mine(max(0, now + 9 - device.number))
    hostile.send("mallory", address, "settle")
    assert device.balance(address, "USD") == 0
