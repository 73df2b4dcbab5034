"""DeepFund under generated hostile calls.

Fundings (with hostile values: none, the wrong asset, several, dust), quotes and
governance (new nodes, dependencies with unknown targets, duplicated targets, weights
over the scale, dead cycles; maintainers handed on) are drawn in any order, by any user
or a contract. After every call: nothing stays in the contract, everything funded was
paid out (Σ received = Σ funded), a funding paid exactly what was sent, split by the
graph; a governance change was the governor's, a maintainer change the maintainer's;
and the shared checks of :class:`~tests.contracts.hostile_args.Hostile`.
"""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord.contracts.deepfund import DeepFund
from accord.device import Device, Receipt
from tests.contracts.hostile_args import (
    Hostile,
    Relay,
    Snapshot,
    Step,
    amounts,
    call,
    hostile_device,
    mixed,
    names,
    relayed,
    steps,
    values,
)

NODES = ("a", "b", "c")
NODE = mixed(st.sampled_from(NODES), st.just("d"))
DEPS = mixed(
    st.lists(st.tuples(NODE, mixed(st.integers(1, 120))), max_size=3).map(tuple),
)
METHODS = {
    "fund": call(NODE, value=values("USD", high=50_000)),
    "quote": call(NODE, amounts(50_000)),
    "add_node": call(mixed(st.just("d"), st.sampled_from(NODES)), names()),
    "set_dependencies": call(NODE, DEPS),
    "set_maintainer": call(NODE, names("@relay")),
    "renounce_governor": call(),
    "maintainer": call(NODE),
    "dependencies": call(NODE),
    "@relay:relay": relayed(
        "@target",
        {"set_maintainer": st.tuples(NODE, names()), "set_dependencies": st.tuples(NODE, DEPS)},
    ),
}


def fund_invariant(address: str) -> Any:
    def check(device: Device) -> None:
        s = device.contract_at(address).storage()
        assert device.balance(address, "USD") == 0, "funds stayed in the contract"
        assert sum(s["received"].values()) == sum(s["funded"].values())
        for node, deps in s["deps"].items():
            assert sum(u for _, u in deps) <= s["scale"], (node, deps)
            assert all(s["maintainers"].get(t) for t, _ in deps), (node, deps)

    return check


def fund_rule(address: str, device: Device) -> Any:
    def rule(step: Step, before: Snapshot, receipt: Receipt) -> None:
        s = before.storage[address]
        if step.method == "fund":
            amount = step.value["USD"]  # type: ignore[index]
            assert dict(step.value or {}) == {"USD": amount} and amount > 0
            assert sum(p for _, p in receipt.result) == amount
            for node, part in receipt.result:
                who = s["maintainers"][node]
                if who != step.who:
                    got = device.balance(who, "USD") - before.balances.get((who, "USD"), 0)
                    assert got >= part, (node, who, got, part)
        if step.method in ("add_node", "set_dependencies", "renounce_governor"):
            assert step.who == s.get("governor", "") != ""
        if step.method == "set_maintainer":
            assert step.who == s["maintainers"][step.args[0]]

    return rule


@settings(max_examples=120, deadline=None)
@given(
    steps(METHODS, senders=("bob", "alice", "carol", "mallory"), focus=("fund", "set_dependencies"))
)
@example(
    [
        Step("bob", "fund", ("a",), {"USD": 1_001}),
        Step("bob", "fund", ("a",), {"USD": 1, "TOK": 1}),
        Step("alice", "set_dependencies", ("c", (("a", 50), ("a", 50)))),  # a target twice
        Step("alice", "set_dependencies", ("c", (("a", 100),))),  # closes a dead cycle?
        Step("alice", "add_node", ("d", "carol")),
        Step("alice", "set_dependencies", ("d", (("a", 101),))),  # over the scale
        Step("alice", "set_dependencies", ("d", (("zz", 10),))),  # unknown target
        Step("bob", "set_maintainer", ("a", "@relay")),
        Step("bob", "fund", ("a",), {"USD": 999}),
    ]
)
def test_deepfund_hostile_sequences(sequence: list[Step]) -> None:
    device = hostile_device()
    relay = device.deploy(device.account("mallory"), Relay)
    address = device.deploy(
        device.account("alice"),
        DeepFund,
        "USD",
        100,
        (("a", "bob"), ("b", "carol"), ("c", "mallory")),
        (("a", "b", 30), ("b", "c", 50), ("c", "a", 20)),
        "alice",
    )
    hostile = Hostile(device, watch=[address], aliases={"@relay": relay})
    hostile.invariant = fund_invariant(address)
    hostile.rule = fund_rule(address, device)
    hostile.run(address, sequence)
