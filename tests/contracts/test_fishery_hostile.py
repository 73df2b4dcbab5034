"""The Fishery under generated hostile calls.

Harvests, closes and watcher changes are drawn in any order and phase (a harvest naming
a closed or future round, a close before the harvest block, after the collapse or the
last round), by licensed fishers, an unlicensed one, and a contract, with hostile rounds
and amounts (negative, huge, floats, strings, nested tuples, more than the stock). After
every call: the lake's recorded stock is exactly its balance of the fish asset, within
``[0, capacity]``; the fish supply is the lake's stock plus every catch and endowment
(regrowth is the only mint); a successful harvest was allowed (open round, licensed,
first in its round, served ``min(ask, stock)``); a successful close came after the
harvest block; and the shared checks of :class:`~tests.contracts.hostile_args.Hostile`.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord.contracts.fishery import Fishery
from accord.device import Device, Receipt
from tests.contracts.hostile_args import (
    Hostile,
    Relay,
    Snapshot,
    Step,
    call,
    hostile_device,
    mixed,
    names,
    relayed,
    steps,
)

FISHERS = ("alice", "bob", "carol")  # mallory holds no licence
ENDOWMENT = 50
ROUNDS = mixed(st.integers(1, 4), st.sampled_from((0, -1, 2**63)))
ASKS = mixed(st.integers(0, 12), st.integers(0, 200), st.sampled_from((0, 100, 10**30)))
LAKE = {
    "harvest": call(ROUNDS, ASKS),
    "close_round": call(ROUNDS),
    "watch": call(names("@relay", ""), mixed(st.integers(0, 3))),
    "status": call(),
    "catch_of": call(ROUNDS, names(*FISHERS)),
    "catches": call(ROUNDS),
    "licensed": call(),
    "@relay:relay": relayed(
        "@target",
        {
            "harvest": st.tuples(st.integers(1, 3), st.integers(0, 50)),
            "close_round": st.tuples(st.integers(1, 3)),
        },
    ),
}


def lake_invariant(address: str) -> object:
    def check(device: Device) -> None:
        s = device.contract_at(address).storage()
        stock = s.get("stock", 0)
        assert stock == device.balance(address, "FISH")
        assert 0 <= stock <= s["capacity"]
        caught = sum(s["caught"].values())
        assert caught == s.get("caught_total", 0)
        endowed = ENDOWMENT * len(FISHERS)
        held = sum(
            n
            for (who, asset), n in device.ledger.balances.items()
            if asset == "FISH" and who != address
        )
        assert held == caught + endowed  # every fish outside the lake was caught or endowed
        assert device.supply("FISH") == stock + held

    return check


def lake_rule(address: str, device: Device) -> object:
    def rule(step: Step, before: Snapshot, receipt: Receipt) -> None:
        s = before.storage[address]
        if step.method == "harvest":
            round, ask = step.args
            assert not s.get("collapsed", False) and not s.get("finished", False)
            assert round == s["round"] and step.who in FISHERS
            assert (round, step.who) not in s["harvested"]
            assert receipt.result == min(ask, s.get("stock", 0))
        if step.method == "close_round":
            assert step.args[0] == s["round"]
            assert device.number > s["opened"] + 1

    return rule


@settings(max_examples=120, deadline=None)
@given(
    steps(
        LAKE,
        senders=("alice", "bob", "carol", "mallory"),
        max_blocks=3,
        focus=("harvest", "close_round"),
    ),
    st.booleans(),
)
@example(
    [
        Step("alice", "harvest", (1, 10**30)),
        Step("", "mine", blocks=2),
        Step("bob", "close_round", (1,)),
    ],
    False,
)
def test_fishery_hostile_sequences(sequence: list[Step], open_access: bool) -> None:
    device = hostile_device()
    relay = device.deploy(device.account("mallory"), Relay)
    address = device.deploy(
        device.account("alice"),
        Fishery,
        "FISH",
        FISHERS,
        100,
        100,
        2,
        5,
        4,
        1,
        ENDOWMENT,
        open_access,
    )
    hostile = Hostile(device, watch=[address], aliases={"@relay": relay})
    hostile.invariant = lake_invariant(address)  # type: ignore[assignment]
    if not open_access:
        hostile.rule = lake_rule(address, device)  # type: ignore[assignment]
    hostile.run(address, sequence)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(("alice", "bob", "carol", "mallory")), st.integers(1, 2), ASKS),
        max_size=8,
    )
)
def test_fishery_batch_settlement_is_hostile_proof(asks: list[tuple[str, int, object]]) -> None:
    """Under the batch rule every harvest of a block settles together: junk, duplicates,
    wrong rounds and an unlicensed sender are refused one by one, the rest served pro
    rata, and the lake's accounting holds."""
    device = hostile_device(ordering="batch")
    address = device.deploy(
        device.account("alice"), Fishery, "FISH", FISHERS, 100, 100, 2, 5, 4, 1, ENDOWMENT, False
    )
    hostile = Hostile(device, watch=[address])
    check = lake_invariant(address)
    for who, round, ask in asks:
        try:
            tx = device.sign(device.account(who), address, "harvest", round, ask, gas_limit=300_000)
            device.submit(tx)
        except Exception:  # refused at admission (a non-canonical argument)
            continue
    device.build_block()
    hostile.check()
    check(device)  # type: ignore[operator]
    s = device.contract_at(address).storage()
    assert sum(s["caught"].values()) <= 100
    assert all(who in FISHERS and r == 1 for (r, who) in s["harvested"])
