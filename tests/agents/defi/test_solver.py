"""The CoW solver agent: ``clear``'s result in the contract's format verifies, and scores
exactly what ``clear`` scored; the agent sends its settlements and the deadline."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from accord.agents.base import observe
from accord.agents.defi import Market, PoolInfo
from accord.agents.defi.solver import CowBook, CowSolver, solution_of
from accord.contracts.cow_plan import valuation
from accord.contracts.cow_verify import BookOrder, InvalidSolution, verify
from accord.device import AssetSpec, Device, DeviceConfig, Genesis
from accord.mechanisms import cfmm
from accord.mechanisms.batch import Order, clear

DEPTH = 10**9
POOLS = (
    cfmm.ProductPool((DEPTH, DEPTH), 30, ("A", "B")),
    cfmm.ProductPool((DEPTH, 2 * DEPTH), 30, ("B", "C")),
)
ADDRESSES = ("pAB", "pBC")
BOOK = {
    3: BookOrder(1, "alice", "alice", "A", 5_000_000, "B", 4_000_000, False),
    4: BookOrder(1, "bob", "bob", "B", 2_000_000, "A", 1_900_000, True),
    5: BookOrder(1, "carol", "carol", "A", 1_000_000, "C", 1_500_000, True),
}


def _quote(pool: str, asset_in: str, amount: int, asset_out: str) -> int:
    c = POOLS[ADDRESSES.index(pool)]
    return c.out_given_in(c.index(asset_in), c.index(asset_out), amount)


def _solve() -> tuple[object, dict[str, Fraction]]:
    ids = sorted(BOOK)
    orders = [Order(str(k), o.owner, o.sell_token, o.buy_token, o.sell_amount, o.min_buy,
                    o.partial) for k, o in ((k, BOOK[k]) for k in ids)]  # fmt: skip
    value = valuation(POOLS, "A", ["A", "B", "C"])
    return clear(orders, POOLS, valuation=value), value


def test_clears_result_verifies_and_scores_what_clear_scored() -> None:
    result, value = _solve()
    solution = solution_of(result, sorted(BOOK), BOOK, ADDRESSES)  # type: ignore[arg-type]
    assert solution is not None
    pools = {a: p.tokens for a, p in zip(ADDRESSES, POOLS, strict=True)}
    checked = verify(BOOK, solution, pools, value, _quote)
    # the same fills, to the base unit, and the same exact surplus
    fills = {int(f.order_id): (f.sold, f.bought) for f in result.fills if f.sold}  # type: ignore[attr-defined]
    assert {oid: (s, b) for oid, s, b in checked.trades} == fills
    assert checked.score == result.surplus  # type: ignore[attr-defined]
    assert checked.score > 0


def test_a_slack_variant_promises_less_and_is_checked_before_it_is_sent() -> None:
    """With 50 bps of slack the pools' outputs are promised 0.5% lower and the buy
    prices of what they deliver rise to match: carol's fill (77 ppm above her limit)
    would then break her limit, so the variant fails the contract's own check and the
    agent does not send it."""
    result, value = _solve()
    exact = solution_of(result, sorted(BOOK), BOOK, ADDRESSES)  # type: ignore[arg-type]
    loose = solution_of(result, sorted(BOOK), BOOK, ADDRESSES, slack_bps=50)  # type: ignore[arg-type]
    assert exact is not None and loose is not None and exact[2]
    pools = {a: p.tokens for a, p in zip(ADDRESSES, POOLS, strict=True)}
    for (_, _, x, _, out), (_, _, x2, _, promised) in zip(exact[2], loose[2], strict=True):
        assert x == x2 and promised == out * 9_950 // 10_000
    with pytest.raises(InvalidSolution, match="order 5's limit price is violated"):
        verify(BOOK, loose, pools, value, _quote)
    infos = tuple(PoolInfo(a, p) for a, p in zip(ADDRESSES, POOLS, strict=True))  # type: ignore[arg-type]
    market = Market(infos, {"A": 1.0, "B": 1.0, "C": 0.5}, 1e-9, "A", "cow")
    solver = CowSolver(_account(), slack_bps=(0, 50))
    rows = tuple((k, *o) for k, o in BOOK.items())
    found = solver.solve(market, CowBook("cow", "A", 1, rows))
    assert [s for _, s in found] == [exact]
    assert "slack 50" in solver.failures[0] and "limit price" in solver.failures[0]


def _account() -> Any:
    assets = {"ETH": AssetSpec(issuer="t", alloc=dict.fromkeys(("solver", "builder"), 10**18))}
    return Device(DeviceConfig(ordering="batch"), Genesis(assets=assets), seed=1).account("solver")


def test_the_agent_sends_its_settlements_then_the_deadline() -> None:
    people = ("solver", "builder")
    assets = {"ETH": AssetSpec(issuer="t", alloc=dict.fromkeys(people, 10**18))}
    device = Device(DeviceConfig(ordering="batch"), Genesis(assets=assets), seed=1)
    infos = tuple(PoolInfo(a, p) for a, p in zip(ADDRESSES, POOLS, strict=True))  # type: ignore[arg-type]
    market = Market(infos, {"A": 1.0, "B": 1.0, "C": 0.5}, 1e-9, "A", "cow")
    rows = tuple((k, *o) for k, o in BOOK.items())
    solver = CowSolver(device.account("solver"))
    obs = observe(
        device, "solver", state={"market": market, "cow_book": CowBook("cow", "A", 1, rows, (0,))}
    )
    txs = solver.act(obs)
    methods = [(t.method, t.args[0]) for t in txs]  # type: ignore[union-attr]
    assert methods[-2:] == [("execute", 0), ("execute", 1)]  # the stale batch first
    assert methods[0] == ("settle", 1) and len(methods) in (3, 4)
    assert [t.nonce for t in txs] == list(range(len(txs)))  # type: ignore[union-attr]
    nothing = CowBook("cow", "A", 2, ())
    assert (
        solver.act(observe(device, "solver", state={"market": market, "cow_book": nothing})) == []
    )
