"""Router under generated hostile calls.

Best-path swaps and quotes over three product pools (a triangle USD–TOK–GOLD) are drawn
with hostile assets, amounts, minimums, recipients and values, by any user or a
contract; a pool may also be drained or donated to between calls. After every call: the
router holds nothing, a successful swap paid at least ``min_out`` to its recipient and
took exactly ``amount_in`` from the caller, and the shared checks of
:class:`~tests.contracts.hostile_args.Hostile`.
"""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord.contracts.amm import ProductAMM
from accord.contracts.router import Router
from accord.device import Device, Receipt
from tests.contracts.hostile_args import (
    GAS,
    Hostile,
    Relay,
    Snapshot,
    Step,
    amounts,
    call,
    hostile_device,
    matching,
    mixed,
    names,
    relayed,
    steps,
    values,
)

ASSETS = ("USD", "TOK", "GOLD")
ASSET = mixed(st.sampled_from(ASSETS))


def _value(asset: Any, amount: Any, *rest: Any) -> dict[str, Any]:
    if type(asset) is not str:
        raise TypeError("no value fits")
    return {asset: amount}


METHODS = {
    "swap_best": matching(
        call(ASSET, amounts(20_000), ASSET, mixed(st.integers(0, 2_000)), names("@target")),
        _value,
        values(*ASSETS),
    ),
    "quote_best": call(ASSET, amounts(20_000), ASSET),
    "@relay:relay": relayed(
        "@target",
        {"swap_best": st.tuples(ASSET, amounts(100), ASSET, st.just(0), names())},
    ),
    "@pool:swap": matching(
        call(ASSET, amounts(20_000), st.just(0), names(), st.just("")),
        _value,
        values(*ASSETS),
    ),
}


def router_rule(router: str, device: Device) -> Any:
    def rule(step: Step, before: Snapshot, receipt: Receipt) -> None:
        if step.method != "swap_best":
            return
        asset_in, amount, asset_out, floor, to = step.args
        assert type(amount) is int and amount > 0 and receipt.result >= floor
        if to != step.who:
            got = device.balance(to, asset_out) - before.balances.get((to, asset_out), 0)
            assert got == receipt.result, (got, receipt.result)
        spent = before.balances.get((step.who, asset_in), 0) - device.balance(step.who, asset_in)
        if to != step.who or asset_in != asset_out:
            assert spent == amount, (spent, amount)

    return rule


@settings(max_examples=100, deadline=None)
@given(steps(METHODS, senders=("bob", "carol", "mallory", "alice"), focus=("swap_best",)))
@example([Step("bob", "swap_best", ("USD", 1_000, "GOLD", "lots", "bob"), {"USD": 1_000})])
@example([Step("bob", "swap_best", ("USD", 1_000, "GOLD", 0, "bob"), {"USD": 1_000})])
@example([Step("bob", "swap_best", ("USD", 1_000, "USD", 0, "bob"), {"USD": 1_000})])
@example([Step("bob", "swap_best", ("USD", 1_001, "TOK", 9, "@target"), {"USD": 1_001})])
def test_router_hostile_sequences(sequence: list[Step]) -> None:
    device = hostile_device()
    alice = device.account("alice")
    relay = device.deploy(device.account("mallory"), Relay)
    pools = []
    for a, b in (("USD", "TOK"), ("TOK", "GOLD"), ("USD", "GOLD")):
        pool = device.deploy(alice, ProductAMM, a, b)
        seeded = device.call(
            alice, pool, "add_liquidity", 0, "alice", value={a: 100_000, b: 100_000}, gas_limit=GAS
        )
        assert seeded.ok, seeded.error
        pools.append(pool)
    router = device.deploy(alice, Router, *pools, 2)

    def holds_nothing(device: Device) -> None:
        for asset in ASSETS:
            assert device.balance(router, asset) == 0, f"the router kept {asset}"

    hostile = Hostile(
        device,
        watch=[router],
        aliases={"@relay": relay, "@pool": pools[2]},
        invariant=holds_nothing,
    )
    hostile.rule = router_rule(router, device)
    hostile.run(router, sequence)
