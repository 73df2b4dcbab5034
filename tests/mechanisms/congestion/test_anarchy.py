"""The price of anarchy: closed forms inside the certified brackets, and Roughgarden–Tardos."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.congestion import (
    Bpr,
    Demand,
    Edge,
    Game,
    braess,
    equilibrium_cost_bounds,
    evaluate,
    flow_bounds,
    optimum,
    pigou,
    price_of_anarchy,
    random_affine,
)


@pytest.mark.parametrize("game", [pigou(), braess()], ids=["pigou", "braess"])
def test_four_thirds(game: object) -> None:
    result = price_of_anarchy(game)  # type: ignore[arg-type]
    low, high = result.poa_bounds
    assert low <= 4 / 3 <= high
    assert high - low < 1e-5
    assert result.poa == pytest.approx(4 / 3, abs=1e-9)


def test_braess_without_shortcut_has_no_anarchy() -> None:
    low, high = price_of_anarchy(braess(shortcut=False)).poa_bounds
    assert low == 1.0 and high < 1.0 + 1e-5


@pytest.mark.parametrize("share", [0.0, 0.3, 0.7, 0.95, 1.0])
@pytest.mark.parametrize("demand", [0.5, 1.0, 2.0])
def test_equilibrium_bracket_holds_the_true_cost_for_any_flow(share: float, demand: float) -> None:
    """Any feasible flow, however far from equilibrium, brackets the true equilibrium
    cost. Pigou with demand D: min(D, 1) on the variable link, cost D·min(D, 1)."""
    game = pigou(demand)
    flow = evaluate(game, "wardrop", np.array([share, 1.0 - share]) * demand)
    lo, hi = equilibrium_cost_bounds(flow)
    assert lo <= demand * min(demand, 1.0) <= hi
    f_lo, f_hi = flow_bounds(flow)
    assert (f_lo <= flow.edge_flow).all() and (flow.edge_flow <= f_hi).all()
    assert f_lo[0] <= min(demand, 1.0) <= f_hi[0]


def test_evaluate_refuses_infeasible_flows() -> None:
    game = pigou()
    for bad, message in (
        (np.array([0.5, 0.4]), "not the demands"),
        (np.array([1.5, -0.5]), "non-negative"),
        (np.array([1.0]), "entries"),
        (np.array([np.nan, 1.0]), "finite"),
    ):
        with pytest.raises(ValueError, match=message):
            evaluate(game, "wardrop", bad)
    with pytest.raises(ValueError, match="kind"):
        evaluate(game, "nash", np.array([1.0, 0.0]))


def test_flow_bounds_refuse_an_optimum() -> None:
    with pytest.raises(ValueError, match="Wardrop"):
        flow_bounds(optimum(pigou()))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    nodes=st.integers(2, 6),
    demands=st.integers(1, 3),
)
def test_affine_price_of_anarchy_is_at_most_four_thirds(
    seed: int, nodes: int, demands: int
) -> None:
    """Roughgarden & Tardos (2002): with affine costs, PoA ≤ 4/3. The certified lower end
    of the bracket can never exceed it; the computed ratio stays below it too."""
    game = random_affine(np.random.default_rng(seed), nodes=nodes, demands=demands)
    result = price_of_anarchy(game)
    low, high = result.poa_bounds
    assert 1.0 <= low <= 4 / 3
    assert result.poa <= 4 / 3 + 1e-9
    assert low <= result.poa * (1 + 1e-9) and result.poa <= high * (1 + 1e-9)
    assert result.equilibrium.converged and result.optimum.converged


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), demand=st.floats(0.1, 10.0))
def test_bpr_price_of_anarchy_is_within_the_quartic_bound(seed: int, demand: float) -> None:
    """BPR costs are polynomials of degree 4 with non-negative coefficients, so the PoA is
    at most (1 − 4·5^(−5/4))^(−1) ≈ 2.151 (Roughgarden, "The price of anarchy is
    independent of the network topology", JCSS 2003)."""
    rng = np.random.default_rng(seed)
    nodes = 5
    edges = [
        Edge(f"n{i}", f"n{j}", Bpr(float(rng.uniform(0.0, 2.0)), float(rng.uniform(0.2, 3.0))))
        for i in range(nodes)
        for j in range(i + 1, nodes)
        if j == i + 1 or rng.random() < 0.6
    ]
    result = price_of_anarchy(Game.build(edges, Demand("n0", f"n{nodes - 1}", demand)))
    bound = 1.0 / (1.0 - 4.0 * 5.0 ** (-5.0 / 4.0))
    assert 1.0 <= result.poa_bounds[0] <= bound
    assert result.poa <= bound
