"""Hostile input to every public entry point of bilateral trade: one clear ValueError.

Generated (Hypothesis, derandomized in CI): NaN, infinities, reversed or empty intervals,
wrong types, densities that do not integrate to 1 or CDFs that are not their integral,
k outside [0, 1], huge or negative draw counts and seeds, non-finite messages.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.bargaining import (
    AGV,
    VCG,
    DensityPrior,
    FirstBest,
    KDoubleAuction,
    PostedPrice,
    SecondBest,
    UniformPrior,
    best_posted_price,
    bind,
    expected_outcome,
    linear_equilibrium,
    posted_price_gains,
    second_best_weight,
)
from accord.mechanisms.bargaining.bilateral_checks import check_properties
from accord.mechanisms.bargaining.bilateral_sim import MAX_DRAWS, simulate

U = UniformPrior(0.0, 1.0)
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=5),
    st.just(math.nan),
    st.just(math.inf),
    st.just(-math.inf),
    st.lists(st.integers(), max_size=2),
    st.just(complex(1, 1)),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)


def one_line(exc: pytest.ExceptionInfo[ValueError]) -> str:
    text = str(exc.value)
    assert text and "\n" not in text
    return text


@given(low=junk | st.floats(), high=junk | st.floats())
def test_uniform_prior_refuses_bad_intervals(low: Any, high: Any) -> None:
    ok = (
        isinstance(low, float)
        and isinstance(high, float)
        and math.isfinite(low)
        and math.isfinite(high)
        and low < high
        and max(abs(low), abs(high), high - low) <= 1e12
        and high - low >= max(1e-12, 1e-7 * max(abs(low), abs(high)))
    )
    if ok:
        assert UniformPrior(low, high).low == low
        return
    with pytest.raises(ValueError) as exc:
        UniformPrior(low, high)
    assert "uniform prior" in one_line(exc)


@pytest.mark.parametrize(("low", "high"), [(0.0, 1e-300), (0.0, 1e-13), (1e9, 1e9 + 1)])
def test_intervals_too_narrow_for_the_quadrature(low: float, high: float) -> None:
    """Narrower than 1e-12, or than 1e-7 of the largest end: refused in one line (on
    U[0, 1e-300] the double auction's efficiency came out 0.63 instead of 27/32)."""
    with pytest.raises(ValueError) as exc:
        UniformPrior(low, high)
    assert "at least 1e-12 wide" in one_line(exc)
    assert UniformPrior(0.0, 1e-12).high == 1e-12 and UniformPrior(1e6, 1e6 + 1).low == 1e6


@given(low=st.floats(-10, 10), width=st.floats(-5, 0))
def test_reversed_or_empty_interval(low: float, width: float) -> None:
    with pytest.raises(ValueError, match="low < high"):
        UniformPrior(low, low + width)


@given(scale=st.floats(0.01, 100).filter(lambda s: abs(s - 1) > 1e-6))
def test_density_not_integrating_to_one(scale: float) -> None:
    with pytest.raises(ValueError) as exc:
        DensityPrior(lambda x: scale * np.ones_like(x), lambda x: x, 0.0, 1.0)
    assert "integrate to 1" in one_line(exc)


@given(shift=st.floats(0.001, 0.5))
def test_cdf_that_is_not_the_densitys_integral(shift: float) -> None:
    with pytest.raises(ValueError) as exc:
        DensityPrior(lambda x: 2 * x, lambda x: np.minimum(x * x + shift * x * (1 - x), 1), 0, 1)
    assert "cdf must be the density's integral" in one_line(exc)


@pytest.mark.parametrize(
    ("density", "cdf", "match"),
    [
        (lambda x: -np.ones_like(x), lambda x: -x, "positive"),
        (lambda x: np.full_like(x, np.nan), lambda x: x, "finite"),
        (lambda x: 1 / (x - 0.5), lambda x: x, "finite|positive"),
        ("density", lambda x: x, "callable"),
        (lambda x: np.ones_like(x), 3, "callable"),
        (lambda x: 1 / 0, lambda x: x, "failed"),
    ],
)
def test_density_prior_refuses_bad_callables(density: Any, cdf: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match) as exc:
        DensityPrior(density, cdf, 0.0, 1.0)
    one_line(exc)


def test_density_prior_refuses_bad_kinks() -> None:
    with pytest.raises(ValueError, match="kinks must lie inside"):
        DensityPrior(lambda x: np.ones_like(x), lambda x: x, 0.0, 1.0, (1.5,))
    with pytest.raises(ValueError, match="kink"):
        DensityPrior(lambda x: np.ones_like(x), lambda x: x, 0.0, 1.0, (math.nan,))


@given(k=junk | st.floats().filter(lambda k: not 0 <= k <= 1))
def test_k_outside_the_unit_interval(k: Any) -> None:
    for make in (KDoubleAuction, FirstBest):
        with pytest.raises(ValueError) as exc:
            make(k)
        assert "k must" in one_line(exc)
    with pytest.raises(ValueError, match="k must"):
        linear_equilibrium(k, U, U)


@given(price=junk)
def test_posted_price_must_be_finite_real(price: Any) -> None:
    if price is None:
        return  # None means "the best price for the priors"
    with pytest.raises(ValueError, match="posted price"):
        PostedPrice(price)
    with pytest.raises(ValueError, match="posted price"):
        posted_price_gains(price, U, U)


@given(bad=junk | st.integers())
def test_priors_and_mechanisms_must_be_what_they_say(bad: Any) -> None:
    for call in (
        lambda: expected_outcome(KDoubleAuction(), bad, U),
        lambda: expected_outcome(SecondBest(), U, bad),
        lambda: simulate(AGV(), bad, U, 10, 0),
        lambda: check_properties(VCG(), U, bad),
        lambda: second_best_weight(bad, U),
        lambda: best_posted_price(U, bad),
        lambda: linear_equilibrium(0.5, bad, U),
    ):
        with pytest.raises(ValueError, match="prior must be a Prior") as exc:
            call()
        one_line(exc)
    for call in (
        lambda: expected_outcome(bad, U, U),
        lambda: simulate(bad, U, U, 10, 0),
        lambda: check_properties(bad, U, U),
        lambda: bind(bad, U, U),
    ):
        with pytest.raises(ValueError, match="mechanism must be one of") as exc:
            call()
        one_line(exc)


@settings(max_examples=50)
@given(n=junk | st.integers().filter(lambda n: not 2 <= n <= MAX_DRAWS))
def test_simulate_refuses_bad_draw_counts(n: Any) -> None:
    with pytest.raises(ValueError) as exc:
        simulate(FirstBest(), U, U, n, 0)
    assert "n must be an int" in one_line(exc)


@settings(max_examples=50)
@given(seed=junk | st.integers().filter(lambda s: not 0 <= s < 2**63))
def test_simulate_refuses_bad_seeds(seed: Any) -> None:
    with pytest.raises(ValueError) as exc:
        simulate(FirstBest(), U, U, 10, seed)
    assert "seed must be an int" in one_line(exc)


def test_huge_n_is_refused_before_any_work() -> None:
    with pytest.raises(ValueError, match="n must be an int"):
        simulate(SecondBest(), U, U, 10**12, 0)


@given(bid=st.sampled_from([math.nan, math.inf, -math.inf, "x", None]))
def test_settle_refuses_non_finite_messages(bid: Any) -> None:
    for mech in (KDoubleAuction(), PostedPrice(0.5), SecondBest(), FirstBest(), VCG(), AGV()):
        rule = mech.bind(U, U)
        with pytest.raises(ValueError, match="must be finite real numbers") as exc:
            rule.settle(np.array([0.5, bid], dtype=object), np.array([0.2, 0.2]))
        one_line(exc)


def test_irregular_prior_is_refused_by_the_second_best() -> None:
    # bimodal density: the virtual value decreases in the middle
    dens = lambda x: np.where(x < 0.5, 1.8, 0.2)  # noqa: E731
    cdf = lambda x: np.where(x < 0.5, 1.8 * x, 0.9 + 0.2 * (x - 0.5))  # noqa: E731
    irregular = DensityPrior(dens, cdf, 0.0, 1.0, (0.5,))
    with pytest.raises(ValueError, match="not regular") as exc:
        expected_outcome(SecondBest(), irregular, U)
    one_line(exc)


def test_same_seed_same_draws_and_another_seed_others() -> None:
    a = simulate(KDoubleAuction(), U, U, 5_000, 11)
    assert a == simulate(KDoubleAuction(), U, U, 5_000, 11)
    assert a != simulate(KDoubleAuction(), U, U, 5_000, 12)


def test_priors_far_from_zero_finish_and_agree_with_simulation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """U[10⁶, 10⁶ + 1]: the utilities' rounding noise (ε·10⁶) keeps the outer estimates
    apart at every depth; the adaptive quadrature must stop (it used to halve down to
    2¹⁴ times the pieces: hours) and still agree with the draws."""
    from accord.mechanisms.bargaining import bilateral_nested

    nodes = [0]
    real_inner = bilateral_nested.inner

    def counted(rule: Any, kind: Any, vs: np.ndarray) -> Any:
        nodes[0] += vs.shape[0]
        if nodes[0] > 200_000:
            raise AssertionError("the nested quadrature does not stop")
        return real_inner(rule, kind, vs)

    monkeypatch.setattr(bilateral_nested, "inner", counted)
    prior = UniformPrior(1e6, 1e6 + 1)
    exact = expected_outcome(AGV(), prior, prior)
    sim = simulate(AGV(), prior, prior, 100_000, 11)
    assert exact.gains == pytest.approx(1 / 6, abs=1e-9)
    assert abs(sim.mean.ir_violation - exact.ir_violation) <= 4 * sim.stderr.ir_violation
