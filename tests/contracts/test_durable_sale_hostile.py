"""DurableGoodsSale under generated hostile calls: buys, posts, stocking and withdrawals
in any period, by the seller, buyers and a contract, with junk prices and values, for a
committed and an uncommitted sale.

After every call: the contract holds exactly the unsold stock of the good and never any
payment; each buyer holds at most one unit bought here; a committed path never changes;
the shared checks of :class:`~tests.contracts.hostile_args.Hostile`."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.contracts.durable_sale import DurableGoodsSale
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

PATH = (500, 300, 200)
BUY_VALUES = st.sampled_from(
    (None, {"USD": 500}, {"USD": 300}, {"USD": 200}, {"USD": 1}, {"USD": 501}, {"TOK": 500})
)
METHODS = {
    "buy": call(value=BUY_VALUES),
    "post": call(amounts(1_000)),
    "stock": call(value=st.sampled_from((None, {"GOLD": 3}, {"USD": 3}, {"GOLD": 1}))),
    "withdraw": call(),
    "quote": call(),
    "path": call(),
    "@relay:relay": relayed("@target", {"buy": st.tuples(), "post": st.tuples(amounts(1_000))}),
}


def invariant(address: str, committed: bool) -> object:
    def check(device: Device) -> None:
        s = device.contract_at(address).storage()
        assert device.balance(address, "GOLD") == s.get("stock_left", 0)
        assert device.balance(address, "USD") == 0
        assert s.get("sold", 0) == len(s["bought"])
        if committed:
            assert tuple(s["prices"][t] for t in (1, 2, 3)) == PATH

    return check


def rule(address: str) -> object:
    def check(step: Step, before: Snapshot, receipt: Receipt) -> None:
        s = before.storage[address]
        if step.method in ("post", "stock", "withdraw"):
            assert step.who == s["seller"]
        if step.method == "post":
            assert not s.get("committed", False)
        if step.method == "buy":
            assert step.who not in s["bought"] and step.who != s["seller"]

    return check


@settings(max_examples=100, deadline=None)
@given(steps(METHODS, senders=("bob", "carol", "alice", "mallory"), max_blocks=3), st.booleans())
def test_durable_sale_hostile_sequences(sequence: list[Step], committed: bool) -> None:
    device = hostile_device()
    relay = device.deploy(device.account("mallory"), Relay)
    address = device.deploy(
        device.account("alice"), DurableGoodsSale, "USD", "GOLD", 3, 3, PATH if committed else ()
    )
    hostile = Hostile(device, watch=[address], aliases={"@relay": relay})
    hostile.invariant = invariant(address, committed)  # type: ignore[assignment]
    hostile.rule = rule(address)  # type: ignore[assignment]
    assert (done := hostile.send("alice", address, "stock", value={"GOLD": 3})) and done.ok
    if not committed:
        assert (done := hostile.send("alice", address, "post", 500)) and done.ok
    hostile.run(address, sequence)
