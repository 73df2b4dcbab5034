"""Projected Newton on the routing dual: KKT, certificates, and agreement with the LP path."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accord.mechanisms.cfmm import ConstantSumPool, Pool, ProductPool
from accord.mechanisms.routing import Network, route, route_arbitrage, route_swap
from accord.mechanisms.routing.kernels import evaluate
from accord.mechanisms.routing.network import random_network, reference_prices
from accord.mechanisms.routing.newton import newton, recover_direct
from tests.mechanisms.routing.test_solve import assert_feasible


def _held(network: Network, token: int) -> int:
    return sum(
        p.reserves[ids.index(token)]
        for p, ids in zip(network.pools, network.pool_tokens, strict=True)
        if token in ids
    )


def test_kkt_holds_at_the_newton_solution() -> None:
    network, reference = random_network(np.random.default_rng(4), 400)
    n = len(network.tokens)
    c = np.array([reference[t] for t in network.tokens])
    lb = np.zeros(n)
    found = newton(network.view, c, lb, reference_prices(network.view, c), np.ones(n, bool), 1.0)
    assert found.converged
    psi = found.evaluation.grad
    through = found.evaluation.through
    free = found.nu > c * (1 + 1e-12)
    assert free.any() and (~free).any()  # some prices rose above the market, some did not
    # where ν > c the token passes straight through (its margin aside); where ν = c the
    # route keeps some of it: primal feasibility and complementary slackness
    assert abs(psi[free] - lb[free]).max() <= 1e-10 * through[free].max()
    assert (psi[~free] >= lb[~free] - 1e-12 * through[~free]).all()
    # and the bound is the evaluation's dual value
    assert found.value == pytest.approx(found.evaluation.value, rel=1e-15)
    _, net_flow = recover_direct(network.view, lb, found.evaluation.nets)
    assert (net_flow >= 0).all()
    gap = found.value - float(np.dot(c, net_flow))
    assert 0 <= gap <= 1e-10 * found.value


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), pools=st.integers(5, 300))
# regressions: 100 pools over 20 tokens, where the last Newton steps changed g by less
# than its rounding (a difference of large pays and takes) and the line search refused
# them; 5 pools where a token traded only at a band's edge, by rounding, kept a shortfall
@example(seed=20240701, pools=100)
@example(seed=0, pools=5)
def test_newton_and_lp_agree_within_their_certificates(seed: int, pools: int) -> None:
    network, reference = random_network(np.random.default_rng(seed), pools)
    fast = route_arbitrage(network, reference, integers=False)
    slow = route_arbitrage(network, reference, integers=False, method="lp")
    assert slow.method == "lp"
    if fast.method == "newton":  # else Newton gave up short of its target: the LP path ran
        assert fast.relative_gap <= 1e-9
    # each value is within its own gap of the optimum, so within both gaps of the other
    assert abs(fast.value - slow.value) <= fast.gap + slow.gap + 1e-9 * abs(slow.value)


def test_newton_routes_every_fixed_network_of_twenty_pools_or_more() -> None:
    for pools in (20, 100, 400):
        for seed in range(4):
            network, reference = random_network(np.random.default_rng(seed), pools)
            result = route_arbitrage(network, reference, integers=False, method="newton")
            assert result.relative_gap <= 1e-9


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), pools=st.integers(5, 200), share=st.floats(1e-6, 0.3))
@example(seed=20240701, pools=100, share=0.01)
# regression: a swap of 225,335 base units whose margins for rounding cost 4.4e-7
@example(seed=165, pools=5, share=1e-6)
def test_newton_swaps_are_feasible_in_base_units(seed: int, pools: int, share: float) -> None:
    network, _ = random_network(np.random.default_rng(seed), pools)
    sell, buy = network.tokens[0], network.tokens[-1]
    amount = max(int(_held(network, 0) * share), 1)
    result = route_swap(network, sell, amount, buy)
    assert result.relative_gap <= 1e-6  # margins for rounding, on swaps of a few units
    assert result.amount(sell) >= -amount
    assert result.amount(buy) > 0
    assert_feasible(network, result, {sell: amount})


def test_the_benchmark_network_is_routed_by_newton_with_a_tiny_gap() -> None:
    network, reference = random_network(np.random.default_rng(20240601 + 1000), 1000)
    result = route_arbitrage(network, reference)
    assert result.method == "newton"
    assert result.relative_gap <= 1e-9
    assert result.iterations <= 15
    assert result.value_int >= result.value * (1 - 1e-7)
    assert_feasible(network, result, {})


def test_method_is_checked_and_newton_refuses_constant_sum_pools() -> None:
    pools: list[Pool] = [
        ProductPool((10**9, 10**9), 30),
        ConstantSumPool((10**9, 10**9), 30, (1, 1)),
    ]
    network = Network.build(pools, [("A", "B"), ("A", "B")])
    with pytest.raises(ValueError, match="method must be"):
        route(network, {"A": 1.0}, method="simplex")
    with pytest.raises(ValueError, match="constant-sum"):
        route(network, {"A": 1.0, "B": 1.0}, method="newton")
    assert route(network, {"A": 1.0, "B": 1.0}).method == "lp"


def test_the_numpy_kernels_route_as_well(monkeypatch: pytest.MonkeyPatch) -> None:
    # without the fast extra the Newton path runs on the vectorised NumPy closed forms
    import accord.mechanisms.routing.newton as routing_newton

    network, reference = random_network(np.random.default_rng(12), 300)
    compiled = route_arbitrage(network, reference)

    def numpy_only(*args: object, **kwargs: object) -> object:
        kwargs["compiled"] = False
        return evaluate(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(routing_newton, "evaluate", numpy_only)
    fallback = route_arbitrage(network, reference)
    assert fallback.method == "newton"
    assert fallback.relative_gap <= 1e-9
    assert abs(fallback.value - compiled.value) <= fallback.gap + compiled.gap
    assert_feasible(network, fallback, {})
