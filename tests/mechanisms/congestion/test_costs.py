"""Edge costs: closed forms against their definitions, exact CFMM amounts, hostile input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from accord.mechanisms.cfmm import amount_out
from accord.mechanisms.congestion import Affine, Bpr, Cfmm, CostTable, constant

COSTS = [
    Affine(0.3, 2.0),
    constant(0.7),
    Bpr(2.0, 3.0),
    Bpr(1.0, 0.5, 0.3, 2.0),
    Cfmm(10.0, 10.0, 0.997),
    Cfmm(10.0, 10.0, 0.99, 0.2),
    Cfmm(4.0, 1.0, 0.997, 0.1, 0.8, 0.2),  # weighted 80/20 at the reference price
]


def test_cfmm_latency_is_smooth_at_tiny_and_subnormal_flows() -> None:
    """Below u = γx/V_in = 1e-8 the average price comes from its series, not G(x)/x,
    which loses everything to rounding at subnormal x (found by hypothesis: 5e-324)."""
    table = CostTable([Cfmm(1.0, 1.0, 0.5)])
    for x in (5e-324, 1e-300, 1e-12, 2e-8, 1e-7):
        c = table.latency(np.array([x]))[0]
        assert c == pytest.approx(1.0 - 0.5 / (1.0 + 0.5 * x), rel=1e-14)


@pytest.mark.parametrize("x", [0.0, 1e-9, 0.4, 3.0, 50.0])
def test_marginal_and_potential_match_their_definitions(x: float) -> None:
    table = CostTable(COSTS)
    h = 1e-7
    for e, _ in enumerate(COSTS):

        def c(s: float, e: int = e) -> float:
            v = np.zeros(len(COSTS))
            v[e] = s
            return float(table.latency(v)[e])

        flows = np.zeros(len(COSTS))
        flows[e] = x
        total = lambda s, c=c: s * c(s)  # noqa: E731
        lo = max(x - h, 0.0)
        slope = (total(x + h) - total(lo)) / (x + h - lo)
        assert table.marginal(flows)[e] == pytest.approx(slope, rel=1e-5, abs=1e-5)
        integral, _ = quad(c, 0.0, x, epsabs=1e-13, epsrel=1e-12) if x > 0 else (0.0, 0.0)
        assert table.potential(flows)[e] == pytest.approx(integral, rel=1e-9, abs=1e-12)


def test_cfmm_latency_is_fee_at_zero_and_average_price_shortfall() -> None:
    pool = Cfmm(1_000.0, 1_000.0, 0.997)
    table = CostTable([pool])
    assert table.latency(np.zeros(1))[0] == pytest.approx(0.003)
    # x·y = k: out = γ·x·R/(R + γx), so c(x) = 1 − γR/(R + γx)
    x = 250.0
    expected = 1.0 - 0.997 * 1_000.0 / (1_000.0 + 0.997 * x)
    assert table.latency(np.array([x]))[0] == pytest.approx(expected, rel=1e-14)
    assert pool.output(x) == pytest.approx(x * (1.0 - expected), rel=1e-14)
    # marginal price: γR²/(R + γx)²
    assert table.marginal(np.array([x]))[0] == pytest.approx(
        1.0 - 0.997 * 1_000.0**2 / (1_000.0 + 0.997 * x) ** 2, rel=1e-14
    )


def test_sandwich_loss_scales_the_output() -> None:
    """η keeps (1 − η) of the output (Kulkarni et al.: the user is pushed to its limit)."""
    base, hit = CostTable([Cfmm(5.0, 5.0, 0.99)]), CostTable([Cfmm(5.0, 5.0, 0.99, 0.25)])
    for x in (0.0, 0.1, 2.0, 40.0):
        v = np.array([x])
        assert 1.0 - hit.latency(v)[0] == pytest.approx(0.75 * (1.0 - base.latency(v)[0]))


@settings(deadline=None)
@given(
    reserve_in=st.integers(10**6, 10**24),
    reserve_out=st.integers(10**6, 10**24),
    fee_bps=st.integers(0, 9_999),
    share=st.floats(1e-6, 10.0),
)
def test_cfmm_output_matches_exact_integer_swap(
    reserve_in: int, reserve_out: int, fee_bps: int, share: float
) -> None:
    """G in value units is cfmm's exact amount_out to within its floor (one base unit)."""
    price_out = reserve_in / reserve_out  # the pool at the reference price
    pool = Cfmm.from_reserves(reserve_in, reserve_out, price_out=price_out, fee_bps=fee_bps)
    units = max(1, int(share * reserve_in))
    exact = amount_out(units, reserve_in, reserve_out, fee_bps)
    real = pool.output(float(units)) / price_out  # back to base units of the out token
    assert exact <= real * (1 + 1e-12) + 1e-9
    assert real - exact <= 1.0 + 1e-11 * real


@settings(deadline=None)
@given(
    v_in=st.floats(1e-3, 1e9),
    v_ratio=st.floats(0.01, 1.0),
    gamma=st.floats(0.5, 1.0),
    eta=st.floats(0.0, 1.0),
    w_in=st.floats(0.05, 0.95),
    xs=st.lists(st.floats(0.0, 1e10), min_size=2, max_size=6),
)
def test_latency_and_marginal_are_monotone_and_non_negative(
    v_in: float, v_ratio: float, gamma: float, eta: float, w_in: float, xs: list[float]
) -> None:
    rho = w_in / (1.0 - w_in)
    v_out = v_ratio * v_in / rho  # spot ρ·γ·V_out/V_in = γ·v_ratio ≤ 1
    table = CostTable([Cfmm(v_in, v_out, gamma, eta, w_in, 1.0 - w_in)])
    x = np.sort(np.array(xs))[:, None]
    lat = np.array([table.latency(row)[0] for row in x])
    marg = np.array([table.marginal(row)[0] for row in x])
    assert (lat >= -1e-12).all() and (np.diff(lat) >= -1e-12).all()
    assert (np.diff(marg) >= -1e-12).all()
    assert (marg >= lat - 1e-9).all()  # m = c + x·c' with c' ≥ 0


BAD = [
    (lambda: Affine(-1.0, 1.0), "affine a"),
    (lambda: Affine(0.0, math.nan), "affine b"),
    (lambda: Affine("1", 1.0), "affine a must be a number"),  # type: ignore[arg-type]
    (lambda: Affine(True, 1.0), "affine a must be a number"),
    (lambda: Bpr(1.0, 0.0), "bpr capacity"),
    (lambda: Bpr(1.0, 1.0, 0.15, 0.5), "bpr beta"),
    (lambda: Cfmm(0.0, 1.0), "cfmm value_in"),
    (lambda: Cfmm(1.0, math.inf), "cfmm value_out"),
    (lambda: Cfmm(1.0, 1.0, 1.5), "cfmm gamma"),
    (lambda: Cfmm(1.0, 1.0, 0.0), "cfmm gamma"),
    (lambda: Cfmm(1.0, 1.0, 1.0, 1.5), "cfmm eta"),
    (lambda: Cfmm(1.0, 1.0, 1.0, -0.1), "cfmm eta"),
    (lambda: Cfmm(1.0, 2.0, 1.0), "arbitrage"),
    (lambda: Cfmm.from_reserves(1, 1, fee_bps=10_000), "fee_bps"),
    (lambda: Cfmm.from_reserves(1, 1, fee_bps=3.0), "fee_bps"),  # type: ignore[arg-type]
    (lambda: Cfmm.from_reserves(-1, 1), "reserve_in"),
    (lambda: CostTable([1.0]), "not a congestion cost"),  # type: ignore[list-item]
    (lambda: Cfmm(1.0, 1.0).output(-1.0), "flow"),
]


@pytest.mark.parametrize(("make", "message"), BAD)
def test_bad_costs_are_refused_with_a_named_error(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


@settings(deadline=None)
@given(st.one_of(st.none(), st.text(), st.floats(allow_nan=True), st.integers(-10, -1)))
def test_hostile_affine_parameters_never_build(value: object) -> None:
    if isinstance(value, float) and math.isfinite(value) and value >= 0:
        Affine(value, value)
        return
    with pytest.raises(ValueError, match="affine a"):
        Affine(value, 1.0)  # type: ignore[arg-type]
