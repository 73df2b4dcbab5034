"""Optimal routing over CFMM pools: closed forms, certificates and feasibility.

Numbers are checked against hand-derived closed forms, cfmm's exact integer math, an
independent convex solve (SciPy SLSQP on the primal), and the router's own duality gap.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from accord.mechanisms.cfmm import (
    BPS,
    ConstantSumPool,
    Pool,
    ProductPool,
    WeightedPool,
    amount_out,
)
from accord.mechanisms.routing import (
    Network,
    Route,
    dual_value,
    route,
    route_arbitrage,
    route_swap,
)
from accord.mechanisms.routing.closed_forms import (
    product_arbitrage,
    sum_arbitrage,
    weighted_arbitrage,
)
from accord.mechanisms.routing.network import float_view, random_network

MIXED = {"product": 0.4, "weighted": 0.4, "constant_sum": 0.2}


# -- helpers -----------------------------------------------------------------------------------
def float_accepts(pool: Pool, tendered: tuple[float, ...], received: tuple[float, ...]) -> bool:
    """The pool's invariant with fee, in floats, to a relative 1e-12."""
    gamma = (BPS - pool.fee_bps) / BPS
    new = [r + gamma * d - lam for r, d, lam in zip(pool.reserves, tendered, received, strict=True)]
    if isinstance(pool, ConstantSumPool):
        if min(new) < -1e-9 * max(pool.reserves):
            return False
        lhs = sum(p * x for p, x in zip(pool.prices, new, strict=True))
        return lhs >= pool.invariant() * (1 - 1e-12)
    if min(new) <= 0:
        return False
    w = pool.normalized_weights if isinstance(pool, WeightedPool) else (0.5, 0.5)
    gain = sum(wk * math.log(x / r) for wk, x, r in zip(w, new, pool.reserves, strict=True))
    return gain >= -1e-12


def assert_feasible(network: Network, result: Route, budget: dict[str, int]) -> None:
    """Every trade accepted by its pool (exactly in ints), and no token short of its bound."""
    n = len(network.tokens)
    lb_int = [-budget.get(t, 0) for t in network.tokens]
    psi_int = [0] * n
    psi = np.zeros(n)
    throughput = np.zeros(n)
    for trade in result.trades:
        pool = network.pools[trade.pool]
        assert trade.tokens == tuple(network.tokens[k] for k in network.pool_tokens[trade.pool])
        assert pool.accepts(trade.tendered_int, trade.received_int)
        assert float_accepts(pool, trade.tendered, trade.received)
        for k, d, r, di, ri in zip(
            network.pool_tokens[trade.pool],
            trade.tendered,
            trade.received,
            trade.tendered_int,
            trade.received_int,
            strict=True,
        ):
            assert d >= 0 and r >= 0 and di >= 0 and ri >= 0
            psi_int[k] += ri - di
            psi[k] += r - d
            throughput[k] += d + r
    assert tuple(psi_int) == result.net_int
    assert all(v >= lb for v, lb in zip(psi_int, lb_int, strict=True))
    assert np.all(psi >= np.array(lb_int, dtype=float) - 1e-9 * (throughput + 1))
    assert result.gap >= -1e-9 * max(abs(result.dual_value), 1.0)


# -- closed forms ------------------------------------------------------------------------------
def test_product_closed_form_matches_the_no_arbitrage_band() -> None:
    """After the trade the pool's marginal price with fee equals the market price."""
    reserves = np.array([[1_000.0, 2_000.0]])
    gamma = np.array([0.997])
    prices = np.array([[3.0, 1.0]])  # pool says 1 A = 2 B, market says 3 B
    value, net = product_arbitrage(reserves, gamma, prices)
    d_b, l_a = -net[0, 1], net[0, 0]
    assert d_b > 0 and l_a > 0
    x_a, x_b = 1_000.0 - l_a, 2_000.0 + gamma[0] * d_b
    assert math.isclose(x_a * x_b, 2_000_000.0, rel_tol=1e-12)
    # buying A costs R_B/(γ·R_A) B at the margin: the band's upper edge, now at p = 3
    assert math.isclose(x_b / (gamma[0] * x_a), 3.0, rel_tol=1e-12)
    assert math.isclose(value[0], 3.0 * l_a - d_b, rel_tol=1e-12)
    # inside the band nothing trades
    value, net = product_arbitrage(reserves, gamma, np.array([[2.001, 1.0]]))
    assert value[0] == 0.0 and not net.any()


def test_weighted_closed_form_equals_product_for_equal_weights_and_brute_force() -> None:
    rng = np.random.default_rng(7)
    reserves = rng.uniform(1, 10, (20, 2))
    gamma = rng.uniform(0.9, 1.0, 20)
    prices = rng.uniform(0.3, 3, (20, 2))
    v1, n1 = product_arbitrage(reserves, gamma, prices)
    v2, n2 = weighted_arbitrage(reserves, np.full((20, 2), 0.5), gamma, prices)
    assert np.allclose(n1, n2, rtol=1e-12, atol=1e-12)
    assert np.allclose(v1, v2, rtol=1e-12, atol=1e-12)
    # three tokens: the KKT solution beats every feasible trade SLSQP finds
    r = np.array([4.0, 9.0, 2.0])
    w = np.array([0.5, 0.3, 0.2])
    nu = np.array([1.3, 0.4, 2.5])
    value, net = weighted_arbitrage(r[None], w[None], np.array([0.98]), nu[None])
    after = r - np.where(net[0] > 0, net[0], 0.98 * net[0])  # R + γΔ − Λ
    assert math.isclose(float(w @ np.log(after)), float(w @ np.log(r)), abs_tol=1e-12)

    def loss(z: np.ndarray) -> float:
        return float(-(nu @ (z[3:] - z[:3])))

    cons = {
        "type": "ineq",
        "fun": lambda z: (
            float(w @ np.log(np.maximum(r + 0.98 * z[:3] - z[3:], 1e-12))) - float(w @ np.log(r))
        ),
    }
    best = max(
        -minimize(
            loss,
            rng.uniform(0, 1, 6),
            method="SLSQP",
            bounds=[(0, None)] * 3 + [(0, x * 0.999) for x in r],
            constraints=[cons],
            options={"ftol": 1e-14, "maxiter": 500},
        ).fun
        for _ in range(10)
    )
    assert value[0] >= best - 1e-9
    assert value[0] <= best + 1e-6


def test_constant_sum_closed_form_is_all_or_nothing_and_smoothing_converges() -> None:
    reserves = np.array([[100.0, 50.0]])
    pool_prices = np.array([[1.0, 1.0]])
    gamma = np.array([0.99])
    # B worth 1.2 A: buy all 50 B with 50/0.99 A
    value, net = sum_arbitrage(reserves, pool_prices, gamma, np.array([[1.0, 1.2]]))
    assert net[0, 1] == 50.0 and math.isclose(net[0, 0], -50.0 / 0.99)
    assert math.isclose(value[0], 1.2 * 50 - 50 / 0.99)
    # inside the fee band: nothing
    value, net = sum_arbitrage(reserves, pool_prices, gamma, np.array([[1.0, 1.005]]))
    assert value[0] == 0.0 and not net.any()
    exact, _ = sum_arbitrage(reserves, pool_prices, gamma, np.array([[1.0, 1.2]]))
    for eps in (1e-3, 1e-6, 1e-9):
        smooth, net = sum_arbitrage(
            reserves, pool_prices, gamma, np.array([[1.0, 1.2]]), eps * reserves
        )
        assert exact[0] * (1 - 1e-12) <= smooth[0] <= exact[0] + eps * 100 * math.log(2) * 2
        assert net[0, 1] <= 50.0


# -- single pool and parallel pools ------------------------------------------------------------
def test_single_product_pool_swap_equals_cfmm_amount_out() -> None:
    r_a, r_b, a = 10**21, 2 * 10**24, 10**19
    pool = ProductPool((r_a, r_b), 30, ("A", "B"))
    result = route_swap([pool], "A", a, "B")
    gamma = 0.997
    real = r_b * gamma * a / (r_a + gamma * a)
    assert math.isclose(result.value, real, rel_tol=1e-9)
    assert result.amount("B") == amount_out(a, r_a, r_b, 30)
    assert result.amount("A") == -a
    (trade,) = result.trades
    assert trade.tendered_int == (a, 0)
    assert trade.received_int == (0, amount_out(a, r_a, r_b, 30))
    assert result.relative_gap <= 1e-9
    assert result.prices[result.tokens.index("B")] == 1.0


def _split_closed_form(
    x: tuple[float, float], y: tuple[float, float], gamma: float, a: float
) -> tuple[float, float]:
    """Optimal split of ``a`` between two x·y=k pools with the same fee (both trading):
    equal marginal outputs ``γxᵢyᵢ/(xᵢ+γaᵢ)²`` give ``xᵢ + γaᵢ ∝ √(xᵢyᵢ)``."""
    s = [math.sqrt(xi * yi) for xi, yi in zip(x, y, strict=True)]
    total = gamma * a + x[0] + x[1]
    a0 = (s[0] * total / (s[0] + s[1]) - x[0]) / gamma
    return a0, a - a0


@pytest.mark.parametrize(
    ("x", "y"),
    [
        ((10**21, 3 * 10**21), (5 * 10**23, 15 * 10**23)),  # same price, pool 2 three times deeper
        ((10**21, 2 * 10**21), (5 * 10**23, 11 * 10**23)),  # slightly different prices
    ],
)
def test_two_parallel_product_pools_split_by_the_closed_form(
    x: tuple[int, int], y: tuple[int, int]
) -> None:
    pools = [ProductPool((x[0], y[0]), 30, ("A", "B")), ProductPool((x[1], y[1]), 30, ("A", "B"))]
    a = 10**20
    result = route_swap(pools, "A", a, "B")
    split = _split_closed_form((float(x[0]), float(x[1])), (float(y[0]), float(y[1])), 0.997, a)
    tendered = {t.pool: t.tendered[0] for t in result.trades}
    assert math.isclose(tendered[0], split[0], rel_tol=1e-7)
    assert math.isclose(tendered[1], split[1], rel_tol=1e-7)
    # marginal prices after the trade are equal
    marginal = [0.997 * x[i] * y[i] / (x[i] + 0.997 * tendered[i]) ** 2 for i in range(2)]
    assert math.isclose(marginal[0], marginal[1], rel_tol=1e-7)
    if y[0] * x[1] == y[1] * x[0]:  # same price: the split follows the reserves
        assert math.isclose(tendered[1] / tendered[0], x[1] / x[0], rel_tol=1e-7)
    outs = sum(0.997 * tendered[i] * y[i] / (x[i] + 0.997 * tendered[i]) for i in range(2))
    assert math.isclose(result.value, outs, rel_tol=1e-9)
    assert result.relative_gap <= 1e-8
    assert_feasible(Network.build(pools), result, {"A": a})
    # integers: the whole budget goes in and each pool pays exactly its amount_out
    assert sum(t.tendered_int[0] for t in result.trades) == a
    for t in result.trades:
        p = t.pool
        assert t.received_int[1] == amount_out(t.tendered_int[0], x[p], y[p], 30)


# -- arbitrage ---------------------------------------------------------------------------------
def _triangle(rate_ca: int) -> list[Pool]:
    """A/B and B/C at 1:1; C/A at ``rate_ca`` thousandths of A per C."""
    big = 10**24
    return [
        ProductPool((big, big), 30, ("A", "B")),
        ProductPool((big, big), 30, ("B", "C")),
        ProductPool((big, big * rate_ca // 1000), 30, ("C", "A")),
    ]


def test_triangle_arbitrage_profits_and_loses_no_token() -> None:
    pools = _triangle(1200)  # C buys 1.2 A: A → B → C → A pays
    prices = {"A": 1.0, "B": 1.0, "C": 1.0}
    result = route_arbitrage(pools, prices)
    network = Network.build(pools)
    assert result.value > 1e21
    assert result.value_int > 0
    assert all(v >= 0 for v in result.net_int)
    assert len(result.trades) == 3
    assert result.relative_gap <= 1e-8
    assert_feasible(network, result, {})
    # the cycle runs A → B → C → A
    by_pool = {t.pool: t for t in result.trades}
    assert by_pool[0].tendered[0] > 0 and by_pool[1].tendered[0] > 0 and by_pool[2].tendered[0] > 0


def test_consistent_prices_leave_no_arbitrage() -> None:
    pools = _triangle(1000)
    result = route_arbitrage(pools, {"A": 1.0, "B": 1.0, "C": 1.0})
    assert abs(result.value) <= 1e-9 * 10**24
    assert result.dual_value <= 1e-9 * 10**24
    assert result.value_int == 0 and all(v == 0 for v in result.net_int)
    assert_feasible(Network.build(pools), result, {})


def test_arbitrage_against_a_mispriced_constant_sum_pool() -> None:
    """A 1:1 constant-sum pool next to a product pool quoting 1.1: the router buys the
    constant-sum reserve only as far as the product pool pays, and the gap closes."""
    pools: list[Pool] = [
        ConstantSumPool((10**22, 10**22), 5, (1, 1), ("A", "B")),
        ProductPool((10**24, 11 * 10**23), 30, ("A", "B")),
    ]
    result = route_arbitrage(pools, {"A": 1.0})
    assert result.value > 0
    assert result.relative_gap <= 1e-7
    assert_feasible(Network.build(pools), result, {})


# -- random networks: gap and feasibility -----------------------------------------------------
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), pools=st.integers(10, 50), mixed=st.booleans())
# regressions: seeds 1 and 449 stopped at gaps 1.2e-3 and 4e-4 (the smoothed dual stalled
# short of the constant-sum kinks and column generation gave up); seed 10 has HiGHS leave
# a token 7e-11 of its flow short, which the float repair alone cascades round an
# arbitrage cycle to the empty route
@example(seed=1, pools=10, mixed=True)
@example(seed=10, pools=10, mixed=False)
@example(seed=449, pools=10, mixed=True)
def test_random_arbitrage_has_small_gap_and_is_feasible(seed: int, pools: int, mixed: bool) -> None:
    network, reference = random_network(
        np.random.default_rng(seed), pools, kinds=MIXED if mixed else None
    )
    result = route_arbitrage(network, reference)
    assert result.relative_gap <= 1e-6
    assert result.value > 0
    assert result.value_int >= result.value * (1 - 1e-6)
    assert_feasible(network, result, {})


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    pools=st.integers(10, 50),
    mixed=st.booleans(),
    share=st.floats(1e-6, 0.5),
)
# regression: a margin on a token that a large three-token trade tenders a little of
# cost 3.7e-6 of the value when the LP could only scale that trade as a whole
@example(seed=439326, pools=10, mixed=False, share=1e-6)
# regression: a tiny swap into a network rich in arbitrage cycles; rounding the unmargined
# plan left a token short round a cycle and integer execution gave up (the empty route)
@example(seed=18, pools=28, mixed=False, share=1e-6)
def test_random_swap_has_small_gap_and_is_feasible(
    seed: int, pools: int, mixed: bool, share: float
) -> None:
    rng = np.random.default_rng(seed)
    network, _ = random_network(rng, pools, kinds=MIXED if mixed else None)
    sell, buy = network.tokens[0], network.tokens[-1]
    held = sum(
        p.reserves[network.pool_tokens[i].index(0)]
        for i, p in enumerate(network.pools)
        if 0 in network.pool_tokens[i]
    )
    amount = max(int(held * share), 1)
    result = route_swap(network, sell, amount, buy)
    assert result.relative_gap <= 1e-6
    assert result.amount(sell) >= -amount
    assert result.amount(buy) > 0
    assert_feasible(network, result, {sell: amount})


def test_routing_is_deterministic() -> None:
    network, reference = random_network(np.random.default_rng(3), 40, kinds=MIXED)
    assert route_arbitrage(network, reference) == route_arbitrage(network, reference)


# -- against an independent convex solve ------------------------------------------------------
def _generic_solve(
    network: Network, c: np.ndarray, lb: np.ndarray, rng: np.random.Generator
) -> float:
    """Maximise cᵀΨ s.t. Ψ ≥ lb and every pool's invariant, with SLSQP on the primal.

    Variables are each pool's Δ and Λ in units of its reserves; the invariants are the
    log (product, weighted) or linear (constant sum) forms. Best of several starts.
    """
    sizes = [len(p.reserves) for p in network.pools]
    offsets = np.cumsum([0, *sizes])
    total = int(offsets[-1])
    reserves = np.concatenate([np.array(p.reserves, dtype=float) for p in network.pools])
    tokens = np.concatenate([np.array(ids) for ids in network.pool_tokens])
    gammas = np.concatenate(
        [np.full(len(p.reserves), (BPS - p.fee_bps) / BPS) for p in network.pools]
    )
    n = len(network.tokens)
    unit = np.zeros(n)
    np.maximum.at(unit, tokens, reserves)

    def psi(z: np.ndarray) -> np.ndarray:
        d, lam = z[:total] * reserves, z[total:] * reserves
        out = np.zeros(n)
        np.add.at(out, tokens, lam - d)
        return out

    def pool_con(i: int):  # type: ignore[no-untyped-def]
        pool = network.pools[i]
        sl = slice(offsets[i], offsets[i + 1])

        def f(z: np.ndarray) -> float:
            new = (1 + gammas[sl] * z[:total][sl] - z[total:][sl]) * reserves[sl]
            if isinstance(pool, ConstantSumPool):
                p = np.array(pool.prices, dtype=float)
                return float(p @ (new - reserves[sl]) / (p @ reserves[sl]))
            w = (
                np.array(pool.normalized_weights)
                if isinstance(pool, WeightedPool)
                else np.array([0.5, 0.5])
            )
            return float(w @ np.log(np.maximum(new / reserves[sl], 1e-12)))

        return {"type": "ineq", "fun": f}

    cons = [pool_con(i) for i in range(len(network.pools))]
    cons.append({"type": "ineq", "fun": lambda z: (psi(z) - lb) / unit})
    scale = float(np.abs(c) @ unit)
    best = 0.0
    for _ in range(4):
        res = minimize(
            lambda z: -float(c @ psi(z)) / scale,
            rng.uniform(0, 0.01, 2 * total),
            method="SLSQP",
            bounds=[(0, None)] * total + [(0, 0.999)] * total,
            constraints=cons,
            options={"ftol": 1e-15, "maxiter": 1000},
        )
        z = np.asarray(res.x)
        feasible = all(con["fun"](z) >= -1e-9 for con in cons[:-1]) and np.all(
            psi(z) >= lb - 1e-9 * unit
        )
        if feasible:
            best = max(best, float(c @ psi(z)))
    return best


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_objective_matches_a_generic_convex_solve(seed: int) -> None:
    rng = np.random.default_rng(seed)
    network, reference = random_network(rng, 5, tokens=3, kinds=MIXED, mispricing=0.2)
    c = np.array([reference[t] for t in network.tokens])
    result = route_arbitrage(network, reference)
    generic = _generic_solve(network, c, np.zeros(len(c)), rng)
    scale = max(result.dual_value, 1e-300)
    assert result.value >= generic - 1e-6 * scale  # at least as good as the generic solver
    assert generic <= result.dual_value * (1 + 1e-6)  # which the dual bound covers
    assert result.value >= result.dual_value * (1 - 1e-6)


@pytest.mark.parametrize("seed", [10, 11, 12])
def test_swap_matches_a_generic_convex_solve(seed: int) -> None:
    rng = np.random.default_rng(seed)
    network, _ = random_network(rng, 4, tokens=3, kinds=MIXED)
    amount = network.pools[0].reserves[network.pool_tokens[0].index(1)] // 20
    sell, buy = network.tokens[1], network.tokens[0]
    result = route_swap(network, sell, amount, buy)
    c = np.zeros(len(network.tokens))
    c[0] = 1.0
    lb = np.zeros(len(network.tokens))
    lb[1] = -amount
    generic = _generic_solve(network, c, lb, rng)
    assert result.value >= generic * (1 - 1e-6)
    assert generic <= result.dual_value * (1 + 1e-6)


def test_dual_value_bounds_any_feasible_route() -> None:
    network, reference = random_network(np.random.default_rng(5), 20)
    result = route_arbitrage(network, reference)
    c = np.array([reference[t] for t in network.tokens])
    view = float_view(network)
    lb = np.zeros(len(c))
    # the bound at the optimal prices, and at any other ν ≥ c, is at least the value
    assert dual_value(view, c, lb, np.array(result.prices)) >= result.value
    assert dual_value(view, c, lb, c * 1.5) >= result.value
    with pytest.raises(ValueError, match="at least the objective weights"):
        dual_value(view, c, lb, c * 0.5)


# -- bad input ---------------------------------------------------------------------------------
def test_bad_input_gets_a_named_error() -> None:
    pool = ProductPool((10**6, 10**6), 30, ("A", "B"))
    with pytest.raises(ValueError, match="unknown token 'Z'"):
        route_swap([pool], "Z", 10, "B")
    with pytest.raises(ValueError, match="unknown token 'Z'"):
        route_arbitrage([pool], {"Z": 1.0})
    with pytest.raises(ValueError, match="positive int"):
        route_swap([pool], "A", 0, "B")
    with pytest.raises(ValueError, match="positive int"):
        route_swap([pool], "A", 1.5, "B")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="for itself"):
        route_swap([pool], "A", 10, "A")
    with pytest.raises(ValueError, match="must be finite and non-negative"):
        route_arbitrage([pool], {"A": -1.0})
    with pytest.raises(ValueError, match="nothing to maximise"):
        route_arbitrage([pool], {"A": 0.0})
    with pytest.raises(ValueError, match="non-negative int"):
        route(Network.build([pool]), {"B": 1.0}, {"A": -5})
    other = ProductPool((10**6, 10**6), 30, ("C", "D"))
    with pytest.raises(ValueError, match="no pools connect 'A' to 'D'"):
        route_swap([pool, other], "A", 10, "D")
    # pool validation is cfmm's: negative reserves, fees out of range
    with pytest.raises(ValueError, match="reserves"):
        ProductPool((-1, 10), 30, ("A", "B"))
    with pytest.raises(ValueError, match="fee_bps"):
        ProductPool((10, 10), 10_000, ("A", "B"))
    # names
    unnamed = ProductPool((10**6, 10**6), 30)
    with pytest.raises(ValueError, match="token names"):
        Network.build([unnamed])
    assert Network.build([unnamed], labels=[("A", "B")]).tokens == ("A", "B")
    with pytest.raises(ValueError, match="labelled"):
        Network.build([pool], labels=[("B", "A")])
    with pytest.raises(ValueError, match="unknown token"):
        Network.build([pool], tokens=["A"])
    with pytest.raises(ValueError, match="at least one pool"):
        Network.build([])
    with pytest.raises(ValueError, match="labels go with"):
        route_arbitrage(Network.build([pool]), {"A": 1.0}, labels=[("A", "B")])


def test_as_dict_has_the_cli_shape() -> None:
    pools = _triangle(1200)
    out = route_arbitrage(pools, {"A": 1.0, "B": 1.0, "C": 1.0}).as_dict()
    assert set(out) >= {"value", "net", "trades"}
    assert all(isinstance(v, int) for v in out["net"].values())
    assert {t["pool"] for t in out["trades"]} == {0, 1, 2}
    assert all(isinstance(v, int) for t in out["trades"] for v in t["tendered"].values())
