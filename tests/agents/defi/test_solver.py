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


def test_netting_leaves_out_a_cycle_leg_whose_output_would_be_stranded() -> None:
    """A batch of the flagship (seed 0, public): one order sells 12,396,156,845,011 T3 for
    at least 3,359,183,129,085 T4, and ``clear`` also financed an arbitrage cycle through
    pool 5 twice (T0→T4, then T4→T0 on pool 3, then T0→T4 on pool 5 again). Netted into one
    swap per pool, pool 5's input cannot wait for pool 3's output, so pool 3's leg would
    turn the user's T4 into T0 that no swap takes: the order got 2,796,097,142,853 T4,
    below its limit, and the batch was refunded. That leg is now left out: the user gets
    pool 5's whole output on everything the orders' T3 became."""
    from accord.agents.defi.solver import _netted
    from accord.mechanisms.batch.types import PoolTrade

    reserves = {
        1: (("T0", "T2"), (1505281533108656, 502577671550322)),
        2: (("T0", "T3"), (8334920623376655, 8334566383660303)),
        3: (("T0", "T4"), (3437990707975382, 945230410236441)),
        4: (("T2", "T3"), (3047835845560892, 9124692263063391)),
        5: (("T0", "T4"), (7014697817534672, 1950824655669567)),
    }
    curves = [cfmm.ProductPool(reserves.get(q, reserves[1])[1], 30, reserves.get(q, reserves[1])[0])
              for q in range(6)]  # fmt: skip
    trades = [
        PoolTrade(2, ("T0", "T3"), (0, 12199854031522), (12146045807148, 0)),
        PoolTrade(4, ("T2", "T3"), (0, 196302813489), (65371088038, 0)),
        PoolTrade(1, ("T0", "T2"), (0, 65371088038), (195181701333, 0)),
        PoolTrade(5, ("T0", "T4"), (12341227508481, 0), (0, 3415872675017)),
        PoolTrade(3, ("T0", "T4"), (0, 619775532163), (2246015681009, 0)),
        PoolTrade(5, ("T0", "T4"), (2246015681009, 0), (0, 620375055840)),
    ]

    class Result:
        pool_trades = trades

    sold = 12396156845011
    swaps = _netted(Result(), curves, [f"p{q}" for q in range(6)], 0, {"T3": sold}, {"T4"})  # type: ignore[arg-type]
    assert swaps is not None
    assert [s[0] for s in swaps] == ["p2", "p4", "p1", "p5"]  # p3's leg is left out
    t0 = swaps[0][4] + swaps[2][4]
    assert swaps[3][2] == t0  # pool 5 takes every T0 the orders' T3 became
    out = curves[5].out_given_in(0, 1, t0)
    assert swaps[3][4] == out >= 3359183129085  # the order's limit
    assert swaps[0][2] + swaps[1][2] == sold


def test_an_order_alone_along_its_best_path_takes_the_largest_part_within_its_limit() -> None:
    """The fallback when no variant of ``clear``'s solution verifies: alice's partially
    fillable order of 100,000,000 A for at least 95,000,000 B cannot be filled whole on
    the A/B pool (it pays 90,661,089 for all of it), so the largest part whose output beats
    the limit is sold, found by bisection, paid exactly the pool's quote; the same order
    fill-or-kill gets nothing. The contract's own check accepts it."""
    from accord.agents.defi.solver import path_solution

    infos = tuple(PoolInfo(a, p) for a, p in zip(ADDRESSES, POOLS, strict=True))  # type: ignore[arg-type]
    market = Market(infos, {"A": 1.0, "B": 1.0, "C": 0.5}, 1e-9, "A", "cow")
    order = BookOrder(1, "alice", "alice", "A", 100_000_000, "B", 95_000_000, True)
    assert _quote("pAB", "A", 100_000_000, "B") == 90_661_089
    solution = path_solution(7, order, market)
    assert solution is not None
    (prices, ((oid, sold, bought),), swaps) = solution
    assert oid == 7 and swaps == (("pAB", "A", sold, "B", bought),)
    assert bought == _quote("pAB", "A", sold, "B")
    assert bought * 100_000_000 > sold * 95_000_000  # within the limit, strictly
    after = _quote("pAB", "A", sold + 1, "B")
    assert after * 100_000_000 <= (sold + 1) * 95_000_000  # one more base unit is not
    assert prices == (("A", bought, bought), ("B", sold, sold))
    pools = {a: p.tokens for a, p in zip(ADDRESSES, POOLS, strict=True)}
    value = valuation(POOLS, "A", ["A", "B"])
    checked = verify({7: order}, solution, pools, value, _quote)
    assert checked.trades == ((7, sold, bought),) and checked.score > 0
    assert path_solution(7, order._replace(partial=False), market) is None
