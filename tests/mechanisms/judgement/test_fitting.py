"""The exact simplex fit: equal to an SLSQP reference, KKT, planted truths, copies, and
linear pooling against a brute-force optimum."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize, minimize_scalar

from accord.mechanisms.judgement.fitting import (
    fit_geometric,
    fit_linear,
    kkt_violation,
    linear_cost,
    simplex_least_squares,
)


def slsqp(a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The generic reference: SLSQP on ‖Aw − c‖² with the simplex constraints."""
    k = a.shape[1]
    g, h, cc = a.T @ a, a.T @ c, float(c @ c)
    res = minimize(
        lambda w: float(w @ g @ w - 2 * h @ w + cc),
        np.full(k, 1 / k),
        jac=lambda w: 2 * g @ w - 2 * h,
        method="SLSQP",
        bounds=[(0.0, None)] * k,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1, "jac": lambda w: np.ones(k)}],
        options={"ftol": 1e-16, "maxiter": 1000},
    )
    return np.asarray(res.x)


def cost(a: np.ndarray, c: np.ndarray, w: np.ndarray) -> float:
    r = a @ w - c
    return float(r @ r)


@pytest.mark.parametrize("seed", range(40))
def test_equals_slsqp_and_meets_kkt(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m, k = int(rng.integers(3, 40)), int(rng.integers(2, 9))
    a = rng.normal(size=(m, k))
    c = rng.normal(size=m) + a @ rng.dirichlet(np.ones(k))
    w = simplex_least_squares(a, c)
    ref = slsqp(a, c)
    assert w.min() >= 0 and w.sum() == pytest.approx(1.0, abs=1e-14)
    assert cost(a, c, w) == pytest.approx(cost(a, c, ref), rel=1e-9)
    assert cost(a, c, w) <= cost(a, c, ref) * (1 + 1e-12)
    assert kkt_violation(a, c, w) < 1e-10
    assert kkt_violation(a, c, np.full(k, 1 / k)) > 1e-3  # the check can fail


def test_kkt_at_a_vertex_and_an_interior_optimum_by_hand() -> None:
    # two lists, one sample: c = 1, A = [0, 2]: f(w) = (2 w2 - 1)², optimum w = (1/2, 1/2)
    a, c = np.array([[0.0, 2.0]]), np.array([1.0])
    assert simplex_least_squares(a, c) == pytest.approx([0.5, 0.5], abs=1e-14)
    # A = [2, 3]: both overshoot, the optimum is the vertex on the smaller one
    a = np.array([[2.0, 3.0]])
    assert simplex_least_squares(a, c).tolist() == [1.0, 0.0]


def test_planted_truth_is_recovered() -> None:
    rng = np.random.default_rng(5)
    m, k = 300, 12
    a = rng.normal(size=(m, k))
    truth = np.zeros(k)
    truth[[1, 4, 7]] = (0.5, 0.3, 0.2)
    w = simplex_least_squares(a, a @ truth)
    assert np.abs(w - truth).max() < 1e-10
    # with jury noise the fit is the least-squares estimate, close to the truth
    w = simplex_least_squares(a, a @ truth + 0.05 * rng.normal(size=m))
    assert np.abs(w - truth).max() < 0.02


def test_planted_lists_get_inverse_variance_weights() -> None:
    """Lists are the true log-credits plus independent noise of sd σ_j; the jury samples
    the true ratios with noise. The expected cost is Σ_j 2 w_j² σ_j² + const, minimised on
    the simplex at w_j ∝ 1/σ_j² (inverse-variance weighting): the fit finds it."""
    rng = np.random.default_rng(2)
    n, m = 100_000, 40_000
    truth = rng.normal(size=n)
    sigma = np.array([0.1, 0.2, 0.4, 3.0])
    logs = truth[:, None] + sigma * rng.normal(size=(n, 4))
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    c = truth[b] - truth[a] + 0.05 * rng.normal(size=m)
    result = fit_geometric(logs[b] - logs[a], c)
    theory = sigma**-2 / (sigma**-2).sum()  # (0.7613, 0.1903, 0.0476, 0.0008)
    assert np.abs(result.weights - theory).max() < 0.005
    assert result.cost <= result.costs.min()
    assert np.all(np.diff(result.costs) > 0)  # alone, each list is worse than the last


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 4), st.integers(0, 5))
def test_copies_split_one_weight_and_change_nothing_else(seed: int, copies: int, at: int) -> None:
    rng = np.random.default_rng(seed)
    m, k = 50, 5
    a = rng.normal(size=(m, k))
    c = a @ rng.dirichlet(np.ones(k)) + 0.3 * rng.normal(size=m)
    base = fit_geometric(a, c)
    j = seed % k
    cols = [a[:, i] for i in range(k)]
    for _ in range(copies):
        cols.insert(min(at, len(cols)), a[:, j])
    order = [i for i in range(k)]
    for _ in range(copies):
        order.insert(min(at, len(order)), j)
    bigger = fit_geometric(np.stack(cols, axis=1), c)
    assert bigger.cost == base.cost
    assert sorted(bigger.group_weights.tolist()) == sorted(base.group_weights.tolist())
    for i in range(k):
        mine = sum(bigger.weights[p] for p, o in enumerate(order) if o == i)
        assert mine == pytest.approx(base.weights[i], abs=1e-15)
    copies_of_j = [p for p, o in enumerate(order) if o == j]
    assert len({bigger.weights[p] for p in copies_of_j}) == 1  # split equally


def test_linear_pooling_matches_a_brute_force_optimum_for_two_lists() -> None:
    rng = np.random.default_rng(9)
    for _ in range(10):
        m = 40
        xa, xb = rng.uniform(0.01, 1.0, size=(m, 2)), rng.uniform(0.01, 1.0, size=(m, 2))
        c = rng.normal(size=m)
        result = fit_linear(xa, xb, c)
        grid = np.linspace(0, 1, 2001)
        vals = [linear_cost(xa, xb, c, np.array([1 - t, t])) for t in grid]
        t0 = grid[int(np.argmin(vals))]
        lo, hi = max(0.0, t0 - 1e-3), min(1.0, t0 + 1e-3)
        best = minimize_scalar(
            lambda t, xa=xa, xb=xb, c=c: linear_cost(xa, xb, c, np.array([1 - t, t])),
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-12},
        )
        brute = min(float(best.fun), min(vals))
        assert result.cost == pytest.approx(brute, rel=1e-9)
        assert result.cost == pytest.approx(linear_cost(xa, xb, c, result.weights), rel=1e-15)


def test_linear_pooling_recovers_a_planted_mixture() -> None:
    rng = np.random.default_rng(4)
    m, k = 200, 4
    xa, xb = rng.uniform(0.01, 1.0, size=(m, k)), rng.uniform(0.01, 1.0, size=(m, k))
    truth = np.array([0.6, 0.0, 0.4, 0.0])
    c = np.log(xb @ truth) - np.log(xa @ truth)
    result = fit_linear(xa, xb, c)
    assert result.cost < 1e-20
    assert np.abs(result.weights - truth).max() < 1e-9


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="need A of shape"):
        simplex_least_squares(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="at least one submission"):
        simplex_least_squares(np.zeros((3, 0)), np.zeros(3))
    with pytest.raises(ValueError, match="finite"):
        simplex_least_squares(np.array([[np.nan]]), np.zeros(1))
    with pytest.raises(ValueError, match="positive shares"):
        fit_linear(np.zeros((1, 2)), np.ones((1, 2)), np.zeros(1))


def test_columns_equal_on_their_first_rows_are_still_told_apart() -> None:
    rng = np.random.default_rng(8)
    m = 200
    base = rng.normal(size=m)
    later = base.copy()
    later[150] += 1.0  # same first 150 rows, different afterwards
    c = base + 0.1 * rng.normal(size=m)
    a = np.stack([later, base, base, -base], axis=1)
    result = fit_geometric(a, c)
    assert sorted(result.groups) == [(0,), (1, 2), (3,)]
    assert result.weights[1] == result.weights[2]
    assert result.weights.sum() == pytest.approx(1.0, abs=1e-15)
    swapped = fit_geometric(a[:, [3, 2, 0, 1]], c)
    assert swapped.cost == result.cost
    assert swapped.weights[[2, 1, 3, 0]].tolist() == result.weights.tolist()
