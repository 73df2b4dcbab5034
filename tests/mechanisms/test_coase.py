"""The durable-goods monopolist: closed forms of the linear equilibrium, the Coase
conjecture, and the commitment benchmark (accord/mechanisms/coase.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms import coase as C


def test_one_period_is_the_static_monopoly() -> None:
    co = C.coefficients(1, 0.5)
    assert (co.a[0], co.beta[0], co.c[0]) == (0.5, 0.5, 0.25)
    assert C.uncommitted_path(1, 0.5, 1_000_000).prices == (500_000,)


def test_two_periods_by_hand() -> None:
    """δ = 1/2: γ₂ = 1 − ½(1 − ½) = 3/4, β₂ = (3/4)/(2(3/4 − ½·¼)) = 3/5, a₂ = 9/20,
    c₂ = (3/4)(3/5)(2/5) + ½·¼·(3/5)² = 9/40."""
    co = C.coefficients(2, 0.5)
    assert co.gamma[1] == pytest.approx(3 / 4, rel=1e-15)
    assert co.beta[1] == pytest.approx(3 / 5, rel=1e-15)
    assert co.a[1] == pytest.approx(9 / 20, rel=1e-15)
    assert co.c[1] == pytest.approx(9 / 40, rel=1e-15)
    path = C.uncommitted_path(2, 0.5, 1_000_000)
    # p1 = 9/20 vmax = 450,000; cutoff 450,000/(3/4) = 600,000; p2 = 300,000, each
    # floored (a double's last bit may put an exact product just below the int)
    assert 449_999 <= path.prices[0] <= 450_000 and 299_998 <= path.prices[1] <= 300_000
    assert path.cutoffs[0] == pytest.approx(path.prices[0] / 0.75, rel=1e-12)


def test_the_finite_horizon_converges_to_the_stationary_equilibrium() -> None:
    co = C.coefficients(400, 0.9)
    s = C.stationary(0.9)
    assert co.beta[-1] == pytest.approx(s.keep, rel=1e-9)
    assert co.a[-1] == pytest.approx(s.first_price, rel=1e-9)
    assert co.c[-1] == pytest.approx(s.revenue, rel=1e-9)
    assert 0.9 * s.keep**2 - 2 * s.keep + 1 == pytest.approx(0, abs=1e-12)  # δx² − 2x + 1 = 0


def test_coase_conjecture_prices_fall_to_the_lowest_value() -> None:
    """Infinite horizon: first price (1 − δ)x/(1 − δx) → 0 as δ → 1 (GSW 1986); at
    δ = 0.99, x = 0.9/0.99 and γ = 0.01/0.1, so the first price is 0.1/1.1."""
    firsts = [C.stationary(d).first_price for d in (0.5, 0.9, 0.99, 0.9999)]
    assert firsts == sorted(firsts, reverse=True)
    assert C.stationary(0.99).first_price == pytest.approx(0.1 / 1.1, rel=1e-9)
    assert firsts[-1] < 0.011
    assert C.stationary(0.9999).revenue < 0.01 < 0.25


def test_shorter_periods_over_a_fixed_horizon_lower_price_and_revenue() -> None:
    """D = 0.1 over the horizon: the first price and the revenue fall with T."""
    firsts, revenues = [], []
    for periods in (1, 2, 5, 10, 20, 50):
        delta = C.per_period(0.1, periods)
        co = C.coefficients(periods, delta)
        firsts.append(co.a[-1])
        revenues.append(co.c[-1])
    assert firsts[0] == 0.5 and revenues[0] == 0.25
    assert firsts == sorted(firsts, reverse=True) and revenues == sorted(revenues, reverse=True)
    assert firsts[-1] == pytest.approx(0.1857, abs=1e-4)
    assert revenues[-1] == pytest.approx(0.0928, abs=1e-4)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 99))
def test_no_commitment_never_beats_commitment(periods: int, pct: int) -> None:
    delta = pct / 100
    co = C.coefficients(periods, delta)
    assert 0 < co.c[-1] <= 0.25
    assert all(0 < b <= 1 for b in co.beta)
    path = C.uncommitted_path(periods, delta, 10**6)
    assert list(path.prices) == sorted(path.prices, reverse=True)  # prices fall
    assert path.prices[0] <= 500_000


def test_discrete_buyers_reproduce_the_continuum_within_one_buyer_per_period() -> None:
    n, vmax, delta = 1_000, 10**6, 0.9
    values = C.buyer_values(n, vmax)
    path = C.uncommitted_path(5, delta, vmax)
    out = C.realise(values, path, delta, committed=False)
    theory = C.coefficients(5, delta).c[-1] * vmax * n
    assert abs(out.present_value - theory) <= 5 * vmax  # about one buyer per period
    price = C.monopoly_price(values)
    assert price == 500_500  # the midpoint grid's best price: vmax/2 within a step
    committed = C.realise(values, C.committed_path(5, price), delta, committed=True)
    assert committed.sales[0] and not any(committed.sales[1:])
    assert committed.revenue == price * 500 == committed.present_value
    assert committed.present_value > out.present_value


def test_bad_inputs_are_named() -> None:
    for bad in (0, 1, 1.5, -0.1, True, "x", None):
        with pytest.raises(ValueError, match="discount"):
            C.check_discount(bad)
    with pytest.raises(ValueError, match="periods"):
        C.coefficients(0, 0.5)
    with pytest.raises(ValueError, match="vmax"):
        C.uncommitted_path(2, 0.5, 0)
    with pytest.raises(ValueError, match="price"):
        C.committed_path(2, 0)
    with pytest.raises(ValueError, match="buyers"):
        C.buyer_values(0, 10)
    assert C.best_period(10, (20, 30), 0.5) is None
    assert C.best_period(100, (60, 20), 0.5) == 0  # 40 now, ½·80 = 40 later: earliest
    assert C.best_period(100, (61, 20), 0.5) == 1  # 39 now, 40 later
