"""General priors (a density and its CDF as callables): closed forms and cross-checks.

Buyer density 2v on [0, 1] (CDF v²), seller density 2(1 - c) (CDF 1 - (1 - c)²):
E[(v - c)⁺] = ∫ 4v (v²/2 - v³/6) dv = 4 (1/8 - 1/30) = 11/30, and
P(v ≥ c) = ∫ 2v (2v - v²) dv = 4/3 - 1/2 = 5/6. Posted prices are checked against
plain double quadrature, and a uniform density against the uniform prior.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, optimize

from accord.mechanisms.bargaining import (
    AGV,
    VCG,
    DensityPrior,
    FirstBest,
    PostedPrice,
    SecondBest,
    UniformPrior,
    check_properties,
    expected_outcome,
    posted_price_gains,
    second_best_weight,
    simulate,
)

B = DensityPrior(lambda x: 2 * x, lambda x: x * x, 0.0, 1.0)
S = DensityPrior(lambda x: 2 * (1 - x), lambda x: 1 - (1 - x) ** 2, 0.0, 1.0)


def test_efficient_rules_on_triangular_priors() -> None:
    for mech in (FirstBest(), VCG(), AGV()):
        out = expected_outcome(mech, B, S)
        assert out.gains == pytest.approx(11 / 30, abs=1e-11)
        assert out.p_trade == pytest.approx(5 / 6, abs=1e-11)
    # VCG's deficit is E[min(v, 1) - max(c, 0) | trade]·P = the first-best gains
    assert expected_outcome(VCG(), B, S).deficit == pytest.approx(11 / 30, abs=1e-10)


def test_posted_price_against_plain_double_quadrature() -> None:
    for price in (0.3, 0.5, 0.7):
        want, _ = integrate.dblquad(
            lambda c, v: (v - c) * 2 * v * 2 * (1 - c), price, 1.0, 0.0, price, epsabs=1e-13
        )
        assert posted_price_gains(price, B, S) == pytest.approx(want, abs=1e-11)
        assert expected_outcome(PostedPrice(price), B, S).gains == pytest.approx(want, abs=1e-11)


def test_a_uniform_density_gives_the_uniform_prior_results() -> None:
    d = DensityPrior(lambda x: np.ones_like(x), lambda x: x, 0.0, 1.0)
    u = UniformPrior(0.0, 1.0)
    for mech in (FirstBest(), VCG(), AGV(), PostedPrice()):
        a, b = expected_outcome(mech, d, d), expected_outcome(mech, u, u)
        for name in ("gains", "p_trade", "efficiency", "deficit", "ir_violation"):
            assert getattr(a, name) == pytest.approx(getattr(b, name), abs=1e-10)


def test_scalar_callables_and_kinked_densities() -> None:
    # a tent on [0, 2] given by scalar-only callables, with its kink declared
    def tent(x: float) -> float:
        return x if x <= 1 else 2 - x

    def tent_cdf(x: float) -> float:
        return x * x / 2 if x <= 1 else 1 - (2 - x) ** 2 / 2

    t = DensityPrior(tent, tent_cdf, 0.0, 2.0, (1.0,))
    assert t.mean == pytest.approx(1.0, abs=1e-12)
    assert float(t.partial_mean(1.0)) == pytest.approx(1 / 3, abs=1e-12)
    draws = t.sample(np.random.default_rng(0), 20_000)
    assert abs(draws.mean() - 1.0) < 4 * np.sqrt(1 / 6 / 20_000)


def test_simulation_on_density_priors_matches_quadrature() -> None:
    for mech in (AGV(), PostedPrice(0.5)):
        exact = expected_outcome(mech, B, S)
        sim = simulate(mech, B, S, 50_000, 4)
        for name in ("gains", "p_trade", "ir_violation"):
            assert (
                abs(getattr(sim.mean, name) - getattr(exact, name))
                <= 4 * getattr(sim.stderr, name) + 1e-12
            )


def _phi_b(v: float, a: float) -> float:
    return v - a * (1 - v * v) / (2 * v)  # buyer density 2v, CDF v²


def _phi_s(c: float, a: float) -> float:
    return c + a * (1 - (1 - c) ** 2) / (2 * (1 - c))  # seller density 2(1 - c)


def _boundary(v: float, a: float) -> float:
    """The largest cost that trades with ``v`` under weight ``a``, by Brent on the explicit
    virtual values (nothing from the library)."""
    target = _phi_b(v, a)
    if target < _phi_s(0.0, a):
        return 0.0
    return float(optimize.brentq(lambda c: _phi_s(c, a) - target, 0.0, 1 - 1e-15, xtol=1e-15))


def test_second_best_on_triangular_priors_binds_and_bounds() -> None:
    """Myerson-Satterthwaite's conditions checked independently: at the library's α the
    worst types' utilities sum to zero (E[(Φ_B(v,1) - Φ_S(c,1))·x] = 0, with the trade
    region from the explicit virtual values), the gains agree, and nothing in the
    library that is IC, IR and BB on these priors does better."""
    alpha = second_best_weight(B, S)
    assert 0 < alpha < 1

    def surplus(v: float) -> float:
        t = _boundary(v, alpha)
        inner, _ = integrate.quad(lambda c: (_phi_b(v, 1) - _phi_s(c, 1)) * 2 * (1 - c), 0, t)
        return 2 * v * inner

    def gains(v: float) -> float:
        t = _boundary(v, alpha)
        return 2 * v * integrate.quad(lambda c: (v - c) * 2 * (1 - c), 0, t)[0]

    start = optimize.brentq(lambda v: _phi_b(v, alpha) - _phi_s(0.0, alpha), 1e-9, 1.0)
    g_sum, _ = integrate.quad(surplus, start, 1.0, epsabs=1e-12, limit=200)
    assert abs(g_sum) < 1e-9
    out = expected_outcome(SecondBest(), B, S)
    want, _ = integrate.quad(gains, start, 1.0, epsabs=1e-13, limit=200)
    assert out.gains == pytest.approx(want, abs=1e-9)
    props = check_properties(SecondBest(), B, S)
    assert props.satisfied(1e-9)
    for mech in (PostedPrice(), PostedPrice(0.4), FirstBest(), VCG(), AGV()):
        if check_properties(mech, B, S).satisfied(1e-9):
            assert expected_outcome(mech, B, S).gains <= out.gains + 1e-9
