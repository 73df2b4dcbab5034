"""Frank–Wolfe: Wardrop and optimal flows of the standard networks, and the gap certificate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.congestion import braess, optimum, pigou, random_affine, solve, wardrop


def test_pigou_wardrop_and_optimum() -> None:
    eq, opt = wardrop(pigou()), optimum(pigou())
    assert eq.edge_flow.tolist() == pytest.approx([1.0, 0.0], abs=1e-12)
    assert eq.total_cost == pytest.approx(1.0, abs=1e-12)
    assert eq.objective == pytest.approx(0.5, abs=1e-12)  # Φ = ∫₀¹ x dx
    assert opt.edge_flow.tolist() == pytest.approx([0.5, 0.5], abs=1e-9)
    assert opt.total_cost == pytest.approx(0.75, abs=1e-12)
    assert eq.converged and opt.converged


@pytest.mark.parametrize(("shortcut", "cost"), [(True, 2.0), (False, 1.5)])
def test_braess_equilibrium_cost(shortcut: bool, cost: float) -> None:
    eq = wardrop(braess(shortcut))
    assert eq.total_cost == pytest.approx(cost, abs=1e-9)
    assert eq.shortest.tolist() == pytest.approx([cost], abs=1e-9)
    assert optimum(braess(shortcut)).total_cost == pytest.approx(1.5, abs=1e-9)


def test_wardrop_conditions_hold_on_used_paths() -> None:
    game = random_affine(np.random.default_rng(7), nodes=6, demands=3)
    eq = wardrop(game)
    for k, members in enumerate(game.members):
        used = members[eq.path_flow[members] > 1e-9]
        assert (eq.path_cost[used] <= eq.shortest[k] + 1e-6).all()
    assert eq.path_flow.min() >= 0.0
    demand = np.bincount(game.commodity, weights=eq.path_flow)
    assert demand.tolist() == pytest.approx(game.amounts.tolist(), rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["wardrop", "optimum"]))
def test_gap_bounds_the_distance_to_the_minimum(seed: int, kind: str) -> None:
    """Classic FW stopped early: its gap must bound its distance to the pairwise minimum."""
    game = random_affine(np.random.default_rng(seed), nodes=5, demands=2)
    rough = solve(game, kind, method="classic", max_iterations=5)
    best = solve(game, kind)
    assert best.converged
    assert rough.objective - best.objective <= rough.gap + 1e-9
    assert best.objective - best.lower_bound <= 1e-9 * max(1.0, best.objective)
    assert rough.lower_bound <= best.objective + 1e-9


def test_classic_and_pairwise_agree() -> None:
    game = random_affine(np.random.default_rng(3), nodes=5, demands=1)
    classic = wardrop(game, method="classic", tol=1e-7, max_iterations=200_000)
    pairwise = wardrop(game)
    assert classic.objective == pytest.approx(pairwise.objective, rel=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "nash"}, "kind"),
        ({"method": "newton"}, "method"),
        ({"tol": 0.0}, "tol"),
        ({"tol": float("nan")}, "tol"),
        ({"max_iterations": 0}, "max_iterations"),
        ({"max_iterations": 2.5}, "max_iterations"),
    ],
)
def test_bad_solver_arguments_are_refused(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"kind": "wardrop", **kwargs}
    with pytest.raises(ValueError, match=message):
        solve(pigou(), **args)  # type: ignore[arg-type]
