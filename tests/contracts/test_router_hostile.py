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


def test_a_router_whose_path_search_explodes_runs_out_of_gas_before_any_quote() -> None:
    """A router's deployer chooses its pools and ``max_hops``: 21 pools joining every pair
    of seven tokens, 300 more on a pair no path uses, ``max_hops = 10``, and a caller
    asking for a token no pool holds. No path is ever quoted, and a storage read is flat
    (one ``READ`` per search step, whatever the pool list's length), so only
    ``SEARCH_GAS`` per pool examined prices the loop: 1,957 search steps (the simple paths
    from T0) each examine all 321 pools, and the search runs out of gas under a 10**7
    limit instead of enumerating for 1,957 reads. The same pools with ``max_hops = 1``
    take one step and refuse by name."""
    from itertools import combinations

    from accord.device import AssetSpec, DeviceConfig
    from tests.contracts.hostile_args import hostile_genesis

    tokens = [f"T{k}" for k in range(7)]
    extra = {t: AssetSpec(issuer=f"issuer-{t}", alloc={"alice": 10**6}) for t in tokens}
    device = Device(DeviceConfig(), hostile_genesis(extra), seed=11)
    alice = device.account("alice")
    pools = [device.deploy(alice, ProductAMM, a, b) for a, b in combinations(tokens, 2)]
    pools += [device.deploy(alice, ProductAMM, "USD", "GOLD") for _ in range(300)]
    for max_hops, status in ((1, "reverted"), (10, "out_of_gas")):
        router = device.deploy(alice, Router, *pools, max_hops, gas_limit=10**7)
        tx = device.sign(alice, router, "quote_best", "T0", 1_000, "USD", gas_limit=10**7)
        receipt = device.execute(tx)
        assert receipt.status == status, (max_hops, receipt.status, receipt.error)
        if status == "reverted":
            assert "no path from T0 to USD" in (receipt.error or "")
