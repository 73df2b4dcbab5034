"""Emissions under generated hostile calls.

Registrations, streams, forecasts and resolutions are drawn in any order, by any user or
a contract, with hostile epochs (past, future, bools), probability tuples (wrong length,
out of range, not ints), outcomes and streams (unknown shapes, duplicated or non-str
contributors, shares over 100 %, cycles). After every call: the emission asset's supply
is the budget times the epochs that paid, every epoch paid exactly its budget or
nothing, the streams stay acyclic with at most 100 % out of any node, a successful
forecast or resolution was its caller's to make for the open epoch, and the shared
checks of :class:`~tests.contracts.hostile_args.Hostile`.
"""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord.contracts.emissions import Emissions
from accord.device import Device, Receipt
from accord.mechanisms.scoring import PPM
from tests.contracts.hostile_args import (
    Hostile,
    Relay,
    Snapshot,
    Step,
    call,
    hostile_device,
    junk,
    mixed,
    names,
    relayed,
    steps,
)

BUDGET, QUESTIONS = 1_000, 2
EPOCH = mixed(st.integers(0, 2), st.just(0))
PROBS = mixed(st.tuples(st.integers(0, PPM), st.integers(0, PPM)), st.just((PPM, 0)))
OUTCOMES = mixed(st.tuples(st.booleans(), st.booleans()))
SHARE = st.tuples(names("@relay"), mixed(st.integers(1, 6_000)))
STREAM = mixed(st.lists(SHARE, max_size=3).map(tuple), st.tuples(SHARE, junk()))
METHODS = {
    "register": call(),
    "set_stream": call(STREAM),
    "forecast": call(EPOCH, PROBS),
    "resolve": call(EPOCH, OUTCOMES),
    "stream": call(names()),
    "result": call(EPOCH, names()),
    "@relay:relay": relayed(
        "@target",
        {
            "register": st.tuples(),
            "set_stream": st.tuples(STREAM),
            "resolve": st.tuples(EPOCH, OUTCOMES),
        },
    ),
}


def emissions_invariant(address: str) -> Any:
    def check(device: Device) -> None:
        s = device.contract_at(address).storage()
        paid: dict[int, int] = {}
        for (epoch, _), amount in s["received"].items():
            paid[epoch] = paid.get(epoch, 0) + amount
        assert all(total == BUDGET for total in paid.values()), paid
        assert device.supply("EMI") == BUDGET * len(paid)
        streams = s["streams"]
        for who, stream in streams.items():
            assert sum(bps for _, bps in stream) <= 10_000, (who, stream)
        state: dict[str, int] = {}  # 1: on the path, 2: done — a cycle is a back edge

        def visit(node: str) -> None:
            state[node] = 1
            for child, _ in streams.get(node, ()):
                assert state.get(child) != 1, f"cycle through {child}"
                if child not in state:
                    visit(child)
            state[node] = 2

        for node in streams:
            if node not in state:
                visit(node)

    return check


def emissions_rule(address: str) -> Any:
    def rule(step: Step, before: Snapshot, receipt: Receipt) -> None:
        s = before.storage[address]
        if step.method in ("forecast", "resolve"):
            assert type(step.args[0]) is int and step.args[0] == s.get("epoch", 0), step
        if step.method == "forecast":
            assert s["registered"].get(step.who)
        if step.method == "resolve":
            assert step.who == "carol"

    return rule


@settings(max_examples=120, deadline=None)
@given(
    steps(
        METHODS,
        senders=("bob", "carol", "mallory", "alice"),
        focus=("set_stream", "forecast", "resolve"),
    )
)
@example([Step("bob", "forecast", (False, (PPM, 0)))])  # a bool is not epoch 0
@example([Step("bob", "set_stream", ((("carol", 10), (1, 10)),))])  # a non-str contributor
@example(
    [
        Step("bob", "set_stream", ((("carol", 5_000),),)),
        Step("carol", "set_stream", ((("bob", 5_000),),)),  # closes a cycle
        Step("carol", "set_stream", ((("mallory", 5_000), ("mallory", 1)),)),  # twice
        Step("carol", "resolve", (0, (True, False))),
        Step("carol", "resolve", (0, (True, False))),  # twice
    ]
)
def test_emissions_hostile_sequences(sequence: list[Step]) -> None:
    device = hostile_device()
    relay = device.deploy(device.account("mallory"), Relay)
    address = device.deploy(device.account("alice"), Emissions, "EMI", BUDGET, QUESTIONS, "carol")
    hostile = Hostile(device, watch=[address], aliases={"@relay": relay})
    hostile.invariant = emissions_invariant(address)
    hostile.rule = emissions_rule(address)
    for who, method, args in (
        ("bob", "register", ()),
        ("mallory", "register", ()),
        ("bob", "forecast", (0, (PPM, 0))),
    ):
        done = hostile.send(who, address, method, *args)
        assert done is not None and done.ok, done
    hostile.run(address, sequence)
