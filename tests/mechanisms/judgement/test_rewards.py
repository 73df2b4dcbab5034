"""Rewards: exact integers by largest remainder, conserved, and copies gain nothing."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.judgement.fitting import fit_geometric
from accord.mechanisms.judgement.rewards import exact_weights, largest_remainder, rewards


def test_largest_remainder_by_hand() -> None:
    third = Fraction(1, 3)
    assert largest_remainder(10, [third] * 3, ["a", "b", "c"]) == [4, 3, 3]
    assert largest_remainder(10, [third] * 3, ["c", "b", "a"]) == [3, 3, 4]  # ties: key
    # quotas 4.9, 3.6, 1.5: floors 4, 3, 1 and one unit left for the 0.9
    shares = [Fraction(49, 100), Fraction(36, 100), Fraction(15, 100)]
    assert largest_remainder(10, shares, ["x", "y", "z"]) == [5, 4, 1]
    assert largest_remainder(0, shares, ["x", "y", "z"]) == [0, 0, 0]
    with pytest.raises(ValueError, match="sum to 1"):
        largest_remainder(10, [Fraction(1, 2)], ["x"])
    with pytest.raises(ValueError, match="pool must be a non-negative int"):
        largest_remainder(-1, [Fraction(1)], ["x"])


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 10**24),
    st.lists(st.integers(0, 10**6), min_size=1, max_size=12).filter(lambda w: sum(w) > 0),
)
def test_largest_remainder_conserves_and_is_within_one_unit(pool: int, raw: list[int]) -> None:
    shares = [Fraction(w, sum(raw)) for w in raw]
    parts = largest_remainder(pool, shares, [f"k{i:02d}" for i in range(len(raw))])
    assert sum(parts) == pool
    for p, s in zip(parts, shares, strict=True):
        assert abs(p - pool * s) < 1


def _problem(seed: int, k: int = 5, m: int = 60) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(m, k))
    c = a @ rng.dirichlet(np.ones(k)) + 0.3 * rng.normal(size=m)
    return a, c


def test_rewards_are_weights_times_pool() -> None:
    a, c = _problem(3)
    result = fit_geometric(a, c)
    names = [f"s{j}" for j in range(5)]
    pool = 10**18
    pay = rewards(pool, names, result)
    assert sum(pay.values()) == pool
    w = exact_weights(result)
    assert sum(w) == 1
    for n, wj in zip(names, w, strict=True):
        assert abs(pay[n] - pool * wj) < 1
        assert abs(pay[n] / pool - result.weights[names.index(n)]) < 1e-15


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 10**6),
    st.integers(1, 5),
    st.lists(st.integers(0, 10), min_size=5, max_size=5),
    st.integers(1, 10**21),
)
def test_submitting_copies_cannot_raise_an_owners_reward(
    seed: int, copies: int, slots: list[int], pool: int
) -> None:
    """Owner ``o0`` submits its list ``1 + copies`` times at arbitrary places: every
    owner's total reward is exactly what it was with one copy."""
    a, c = _problem(seed)
    k = a.shape[1]
    names = [f"s{j}" for j in range(k)]
    owners = {f"s{j}": f"o{j}" for j in range(k)}
    base = rewards(pool, names, fit_geometric(a, c), owners)

    cols, big_names = [a[:, j] for j in range(k)], list(names)
    for i in range(copies):
        at = slots[i] % (len(cols) + 1)
        cols.insert(at, a[:, 0])
        big_names.insert(at, f"copy{i}")
        owners[f"copy{i}"] = "o0"
    pay = rewards(pool, big_names, fit_geometric(np.stack(cols, axis=1), c), owners)
    assert sum(pay.values()) == pool
    for j in range(k):
        owner = f"o{j}"
        total = sum(v for n, v in pay.items() if owners[n] == owner)
        assert total == base[f"s{j}"]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(2, 4), st.floats(1e-4, 1e-1))
def test_near_copies_earn_what_their_geometric_mix_earns(seed: int, n: int, eps: float) -> None:
    """Split into near-copies ``log x + ε δ_i``, the owner's total weight W equals the
    weight the fit gives the one list ``log y = Σ_{i} (w_i / W) log x_i`` submitted
    alone: near-copies can only earn what some single list earns (docs/judgement.md)."""
    rng = np.random.default_rng(seed)
    a, c = _problem(seed, k=4, m=80)
    near = a[:, [0]] + eps * rng.normal(size=(a.shape[0], n))
    big = np.hstack([near, a[:, 1:]])
    result = fit_geometric(big, c)
    w_owner = float(result.weights[:n].sum())
    if w_owner == 0.0:
        return
    mix = near @ (result.weights[:n] / w_owner)
    alone = fit_geometric(np.hstack([mix[:, None], a[:, 1:]]), c)
    assert alone.weights[0] == pytest.approx(w_owner, abs=1e-7)
    assert alone.cost == pytest.approx(result.cost, rel=1e-9)


def test_rewards_argument_errors() -> None:
    a, c = _problem(1)
    with pytest.raises(ValueError, match="3 names for 5 weights"):
        rewards(100, ["a", "b", "c"], fit_geometric(a, c))
