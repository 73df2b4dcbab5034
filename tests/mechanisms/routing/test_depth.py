"""Swaps that are small against deep pools, and pools whose depths span 1e6..1e24.

A swap of ``t`` through constant-product pools of summed depth ``S`` moves the optimal
dual price only about ``2t/S`` past the edge of the pools' fee band. Newton's first
steps, taken where no pool trades and ``g`` has no curvature, once overshot that by 1e4
and gave up, and the LP path then returned the empty route (relative gap 1).

Closed forms checked here (Angeris et al., EC 2022, §5 for the optimality conditions):

- **Equal prices and fees.** For pools ``(s_i, k·s_i)`` with one fee, the optimum
  equalises the pools' marginal prices after the trade, which for constant product means
  equal ``x_i/s_i``: the split is in proportion to depth, ``x_i = t·s_i/S``, and the
  output is that of one pool with the summed reserves, ``γt·kS/(S + γt)``.
- **One pool dominates.** If pool 0's marginal price after taking the whole swap,
  ``γ·k₀s₀²/(s₀ + γt)²`` per unit, is still above every other pool's spot price ``γk``,
  no other pool may trade: the output is pool 0's alone.

Integers: a pool receiving ``x`` pays at most ``amount_out(x, …)``, the floor of the
real output. Summed floors are at most the real optimum, so the executed output never
exceeds ``amount_out`` of the merged pool, and each trade never exceeds its pool's own.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.cfmm import ProductPool, amount_out
from accord.mechanisms.routing import Route, route_swap

GAP = 1e-7  # the relative gap the router certifies (MARGIN_COST)
SMALL = 10**20
DEEP = 18_680_786_338_487_167_090_688
AMOUNT = 390_625_000_000_000_000


def _kept(route: Route, pools: int) -> float:
    """The most the base units kept back for rounding can be worth."""
    return 2 * (2 * pools + 2) * max(route.prices)


def _certified(route: Route, pools: int) -> None:
    """The certified gap is below ``GAP``, or (a swap of a few million base units) below
    the base units the plan keeps back for rounding: ``2·(pools touching) + 2`` of each
    tendered token (:func:`accord.mechanisms.routing.primal.rounding_margins`), which
    the router allows up to 1e-6 of the value (``direct._UNIT_GAP``)."""
    assert route.gap >= -1e-9 * route.dual_value  # a bound, never below the route
    assert route.relative_gap <= GAP or (
        route.gap <= _kept(route, pools) and route.relative_gap <= 1e-6
    )


def _merged_out(amount: float, depth: float, k: float, gamma: float) -> float:
    """Real output of one pool ``(depth, k·depth)`` for ``amount``."""
    return gamma * amount * k * depth / (depth + gamma * amount)


def _tendered(route: Route, pools: int) -> list[int]:
    out = [0] * pools
    for t in route.trades:
        out[t.pool] = t.tendered_int[t.tokens.index("A")]
    return out


def _assert_exact(
    route: Route, pools: list[ProductPool], amount: int, one_way: bool = True
) -> None:
    """Each integer trade pays at most cfmm's exact ``amount_out`` for its tender, the
    budget of A holds and no B is given up; ``one_way``: only A in and B out."""
    for t in route.trades:
        pool = pools[t.pool]
        (i, x), (j, y) = [(k, t.tendered_int[k]) for k in range(2)]
        if one_way:
            assert t.tendered_int[t.tokens.index("B")] == 0
        assert min(x, y) == 0  # a product pool is tendered one token, pays the other
        k = i if x > 0 else j
        other = 1 - k
        paid = amount_out(t.tendered_int[k], pool.reserves[k], pool.reserves[other], pool.fee_bps)
        assert 0 <= t.received_int[other] <= paid and t.received_int[k] == 0
    assert route.net_int[0] >= -amount and route.net_int[1] >= 0
    assert route.net_int[1] == sum(
        t.received_int[t.tokens.index("B")] - t.tendered_int[t.tokens.index("B")]
        for t in route.trades
    )
    assert route.value_int == float(route.net_int[1])


def _assert_split(route: Route, pools: list[ProductPool], amount: int, gamma: float) -> None:
    """The split is the proportional one, within what the certified gap allows.

    Pool i pays ``y(x) = γxR/(R + γx)``, with ``y'' = −2γ²R²/(R + γx)³``; at the
    proportional split ``R/(R + γx_i) = S/(S + γt)`` for every pool. The marginal outputs
    are equal there, so moving ``δ_i`` off it loses at least ``Σ δ_i²γ²c/R_i`` with
    ``c = (S/(S + γt))³``, and the loss is at most the gap: ``|δ_i| ≤ √(gap·R_i/c)/γ``.
    """
    depth = sum(p.reserves[0] for p in pools)
    c = (depth / (depth + gamma * amount)) ** 3
    for x, p in zip(_tendered(route, len(pools)), pools, strict=True):
        allowed = math.sqrt(max(route.gap, 0.0) * p.reserves[0] / c) / gamma
        assert abs(x - amount * p.reserves[0] / depth) <= 1.5 * allowed + 2


@pytest.mark.parametrize("method", ["auto", "newton", "lp"])
def test_the_reported_case_routes_in_proportion_to_depth(method: str) -> None:
    """The case that returned the empty route: every path now finds the closed form."""
    pools = [ProductPool((s, s), 5, ("A", "B")) for s in (SMALL, DEEP)]
    r = route_swap(pools, "A", AMOUNT, "B", method=method)
    depth = SMALL + DEEP
    merged = _merged_out(AMOUNT, depth, 1.0, 0.9995)
    assert r.relative_gap <= GAP
    assert r.value == pytest.approx(merged, rel=GAP)
    assert r.dual_value >= merged * (1 - 1e-12)  # the certificate bounds the optimum
    assert r.net_int[1] <= amount_out(AMOUNT, depth, depth, 5)
    assert r.value_int >= merged * (1 - GAP) - 2
    _assert_split(r, pools, AMOUNT, 0.9995)
    if r.method == "newton":  # the pools' own trades at the dual prices: sharper still
        split = _tendered(r, 2)
        assert split[0] == pytest.approx(AMOUNT * SMALL / depth, rel=1e-6)
        assert split[1] == pytest.approx(AMOUNT * DEEP / depth, rel=1e-6)
    _assert_exact(r, pools, AMOUNT)


@pytest.mark.parametrize("fraction", [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.3])
def test_a_swap_small_against_the_pools_routes_at_every_scale(fraction: float) -> None:
    """Two 1e20 pools, swaps from 1e-6 to 0.3 of their depth: the merged closed form."""
    pools = [ProductPool((SMALL, SMALL), 5, ("A", "B")) for _ in range(2)]
    amount = int(fraction * 2 * SMALL)
    r = route_swap(pools, "A", amount, "B")
    merged = _merged_out(amount, 2 * SMALL, 1.0, 0.9995)
    assert r.relative_gap <= GAP
    assert r.value == pytest.approx(merged, rel=GAP)
    assert r.net_int[1] <= amount_out(amount, 2 * SMALL, 2 * SMALL, 5)
    _assert_exact(r, pools, amount)


DEPTHS = st.integers(6, 24).flatmap(
    lambda e: st.integers(10**e, 10 ** (e + 1) - 1) if e < 24 else st.just(10**24)
)


@settings(max_examples=25, deadline=None)
@given(
    depths=st.lists(DEPTHS, min_size=2, max_size=4),
    fee=st.sampled_from([1, 5, 30, 100]),
    k_exp=st.integers(-3, 3),
    log_fraction=st.floats(-6.0, 0.0),
)
def test_equal_prices_split_in_proportion_to_depth(
    depths: list[int], fee: int, k_exp: int, log_fraction: float
) -> None:
    """Pools ``(s_i, k·s_i)`` with one fee, depths anywhere in 1e6..1e24, swaps of
    1e-6..1 of the summed depth: the proportional split and the merged pool's output."""
    k = 10**k_exp if k_exp >= 0 else None
    pools = [ProductPool((s, s * k) if k else (s * 10**-k_exp, s), fee, ("A", "B")) for s in depths]
    ratio = float(pools[0].reserves[1]) / float(pools[0].reserves[0])
    depth = sum(p.reserves[0] for p in pools)
    amount = max(int(10.0**log_fraction * depth), 10**6)
    gamma = (10_000 - fee) / 10_000
    merged = _merged_out(float(amount), float(depth), ratio, gamma)
    r = route_swap(pools, "A", amount, "B")
    _certified(r, len(pools))
    assert r.value == pytest.approx(merged, rel=1e-6, abs=_kept(r, len(pools)))
    assert r.dual_value >= merged * (1 - 1e-9)
    out_b = sum(p.reserves[1] for p in pools)
    assert r.net_int[1] <= amount_out(amount, depth, out_b, fee)
    _assert_exact(r, pools, amount)
    _assert_split(r, pools, amount, gamma)


@settings(max_examples=20, deadline=None)
@given(
    depths=st.lists(DEPTHS, min_size=2, max_size=4),
    fees=st.lists(st.sampled_from([30, 100]), min_size=3, max_size=3),
    premium=st.floats(0.0, 0.003),
    log_fraction=st.floats(-6.0, 0.0),
)
def test_a_pool_that_dominates_takes_the_whole_swap(
    depths: list[int], fees: list[int], premium: float, log_fraction: float
) -> None:
    """Pool 0 (fee 5 bps) quotes ``1 + premium`` B per A, the others 1 at 30 or 100 bps.

    Pool 0's price after fee, ``γ₀k₀``, lies inside every other pool's band
    ``[γ_j, 1/γ_j]`` (so there is nothing to arbitrage) and above ``γ_j``; a swap small
    enough that its marginal price after the whole swap, ``γ₀k₀s₀²/(s₀ + γ₀t)²``, stays
    at least ``max γ_j`` leaves every other pool inside its band: only pool 0 trades.
    """
    first = depths[0]
    pools = [ProductPool((first, int(first * (1 + premium))), 5, ("A", "B"))]
    pools += [ProductPool((s, s), f, ("A", "B")) for s, f in zip(depths[1:], fees, strict=False)]
    gamma0 = 0.9995
    k0 = pools[0].reserves[1] / pools[0].reserves[0]
    edge = max((10_000 - p.fee_bps) / 10_000 for p in pools[1:])
    limit = first * (math.sqrt(gamma0 * k0 / edge) - 1) / gamma0
    amount = int(min(10.0**log_fraction, 0.9) * limit)
    if amount < 10**4:
        return  # pool 0 too shallow for a swap worth routing (its units round away)
    single = amount_out(amount, *pools[0].reserves, 5)
    r = route_swap(pools, "A", amount, "B")
    _certified(r, len(pools))
    merged = _merged_out(amount, first, k0, gamma0)
    assert r.value == pytest.approx(merged, rel=1e-6, abs=_kept(r, len(pools)))
    # rounding keeps back a few base units of A per pool (primal.rounding_margins)
    assert single * (1 - GAP) - 2 * (len(pools) + 1) <= r.net_int[1] <= single
    # pool 0's marginal price after the whole swap beats pool j's best, γ_j, by m0 − γ_j:
    # every unit sent to pool j loses at least that, and all of it is within the gap
    m0 = gamma0 * k0 * (first / (first + gamma0 * amount)) ** 2
    for x, p in zip(_tendered(r, len(pools))[1:], pools[1:], strict=True):
        assert x * (m0 - (10_000 - p.fee_bps) / 10_000) <= r.gap + 1
    _assert_exact(r, pools, amount)


@settings(max_examples=25, deadline=None)
@given(
    depths=st.lists(DEPTHS, min_size=2, max_size=4),
    fees=st.lists(st.sampled_from([1, 5, 30, 100]), min_size=4, max_size=4),
    tilts=st.lists(st.floats(-0.05, 0.05), min_size=4, max_size=4),
    log_fraction=st.floats(-6.0, 0.0),
)
def test_mixed_pools_route_with_a_small_certified_gap(
    depths: list[int], fees: list[int], tilts: list[float], log_fraction: float
) -> None:
    """Unequal prices and fees (no closed form): a certified gap, at least the best
    single pool, and exact integer execution within the float plan and the bound."""
    pools = [
        ProductPool((s, max(int(s * math.exp(tilt)), 1)), f, ("A", "B"))
        for s, f, tilt in zip(depths, fees, tilts, strict=False)
    ]
    depth = sum(p.reserves[0] for p in pools)
    amount = max(int(10.0**log_fraction * depth), 10**6)
    best_single = max(amount_out(amount, *p.reserves, p.fee_bps) for p in pools)
    r = route_swap(pools, "A", amount, "B")
    _certified(r, len(pools))
    assert r.value >= best_single * (1 - GAP) - 2
    assert r.value_int >= best_single * (1 - 1e-6) - 2 * len(pools)
    assert r.value_int <= r.dual_value * (1 + 1e-12)
    _assert_exact(r, pools, amount, one_way=False)
