"""Scoring rules (properness in closed form), the Kelly bettor, emission weights."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms import scoring as S


def test_scores_by_hand() -> None:
    assert S.log_score([0.25, 0.75], 1) == math.log(0.75)
    assert S.log_score([1.0, 0.0], 1) == -math.inf
    assert S.quadratic_score([0.2, 0.8], 1) == pytest.approx(2 * 0.8 - 0.04 - 0.64)
    assert S.brier_loss([0.2, 0.8], 1) == pytest.approx(0.04 + 0.04)
    assert S.brier_loss([1.0, 0.0], 1) == 2.0
    for p, o in (([0.3, 0.5, 0.2], 0), ([0.1, 0.9], 1)):
        assert S.quadratic_score(p, o) == pytest.approx(1 - S.brier_loss(p, o))


def test_expected_score_closed_forms() -> None:
    q = np.array([0.5, 0.3, 0.2])
    p = np.array([0.2, 0.2, 0.6])
    by_sum_log = sum(q[o] * S.log_score(p, o) for o in range(3))
    by_sum_quad = sum(q[o] * S.quadratic_score(p, o) for o in range(3))
    assert S.expected_score("log", p, q) == pytest.approx(by_sum_log)
    assert S.expected_score("quadratic", p, q) == pytest.approx(by_sum_quad)
    # the loss from misreporting: KL(q‖p) for log, ‖p − q‖² for quadratic
    gap_log = S.expected_score("log", q, q) - S.expected_score("log", p, q)
    gap_quad = S.expected_score("quadratic", q, q) - S.expected_score("quadratic", p, q)
    assert gap_log == pytest.approx(S.kl_divergence(q, p))
    assert gap_log == pytest.approx(float(np.sum(q * np.log(q / p))))
    assert gap_quad == pytest.approx(float(np.sum((p - q) ** 2)))


probability = st.floats(0.01, 0.99)


@settings(max_examples=200, deadline=None)
@given(q=probability, p=probability)
def test_properness_binary(q: float, p: float) -> None:
    """Truthful reporting maximises the expected score, strictly."""
    belief, report = [q, 1 - q], [p, 1 - p]
    for rule in ("log", "quadratic"):
        truthful = S.expected_score(rule, belief, belief)
        other = S.expected_score(rule, report, belief)
        assert truthful >= other - 1e-12
        if abs(p - q) > 1e-3:
            assert truthful > other


def test_properness_on_a_grid_peaks_at_the_belief() -> None:
    belief = [0.37, 0.63]
    grid = np.linspace(0.01, 0.99, 99)
    for rule in ("log", "quadratic"):
        values = [S.expected_score(rule, [r, 1 - r], belief) for r in grid]
        assert grid[int(np.argmax(values))] == pytest.approx(0.37)


def test_kelly_wealth_closed_form() -> None:
    belief, price = [0.7, 0.3], [0.5, 0.5]
    assert S.kelly_wealth(100.0, belief, price, 0) == pytest.approx(140.0)
    assert S.kelly_wealth(100.0, belief, price, 1) == pytest.approx(60.0)
    assert S.kelly_wealth(100.0, belief, price, 0, fraction=0.5) == pytest.approx(120.0)
    # the portfolio behind it: qᵢW spent on outcome i at price pᵢ buys qᵢW/pᵢ shares
    w = 250.0
    q, p = np.array([0.2, 0.5, 0.3]), np.array([0.3, 0.3, 0.4])
    shares = q * w / p
    assert shares @ p == pytest.approx(w)  # all wealth spent
    for o in range(3):
        assert S.kelly_wealth(w, q, p, o) == pytest.approx(shares[o])


def test_kelly_fraction_matches_the_portfolio() -> None:
    """Binary: f* = (q − p)/(1 − p), the classic (b q − (1 − q))/b with odds b = (1 − p)/p;
    betting f* on YES and keeping the rest reproduces W q/p and W (1 − q)/(1 − p)."""
    q, p, w = 0.7, 0.4, 100.0
    f = S.kelly_fraction(q, p)
    odds = (1 - p) / p
    assert f == pytest.approx((odds * q - (1 - q)) / odds)
    assert f == pytest.approx(0.5)
    win = w * (1 - f) + w * f / p
    lose = w * (1 - f)
    assert win == pytest.approx(S.kelly_wealth(w, [q, 1 - q], [p, 1 - p], 0))
    assert lose == pytest.approx(S.kelly_wealth(w, [q, 1 - q], [p, 1 - p], 1))
    assert S.kelly_fraction(0.3, 0.4) == 0.0


def test_kelly_growth_is_kl_and_a_seeded_run_agrees() -> None:
    q, p = np.array([0.6, 0.4]), np.array([0.45, 0.55])
    expected = float(np.sum(q * np.log(q / p)))
    assert S.kelly_growth(q, p) == pytest.approx(expected)
    rng = np.random.default_rng(7)
    outcomes = rng.random(200_000) >= q[0]  # True = outcome 1
    log_growth = np.where(outcomes, np.log(q[1] / p[1]), np.log(q[0] / p[0]))
    stderr = float(np.std(log_growth)) / math.sqrt(outcomes.size)
    assert abs(float(np.mean(log_growth)) - expected) < 4 * stderr


def test_emission_weights() -> None:
    np.testing.assert_allclose(
        S.emission_weights([0.3, 0.1, -0.2], baseline=0.0), [0.75, 0.25, 0.0]
    )
    np.testing.assert_allclose(S.emission_weights([0.3, 0.1], baseline=0.2), [1.0, 0.0])
    assert S.emission_weights([-1.0, -2.0]).tolist() == [0.0, 0.0]
    w = S.emission_weights([1.0, 0.0, 0.0], "softmax", eta=math.log(2))
    np.testing.assert_allclose(w, [0.5, 0.25, 0.25])


def test_brier_improvement_ppm_is_exact() -> None:
    assert S.brier_improvement_ppm(1_000_000, True) == 250_000_000_000
    assert S.brier_improvement_ppm(500_000, False) == 0
    assert S.brier_improvement_ppm(0, True) == -750_000_000_000
    # f = 0.7, y = 1: 0.25 − 0.09 = 0.16
    assert S.brier_improvement_ppm(700_000, True) == 160_000_000_000
    # it is the binary Brier loss difference scaled by 10¹²/2
    f = 0.7
    assert S.brier_improvement_ppm(700_000, False) == round(
        (S.brier_loss([0.5, 0.5], 1) - S.brier_loss([f, 1 - f], 1)) / 2 * 1e12
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: S.log_score([0.5, 0.6], 0), "forecast must sum to 1"),
        (lambda: S.log_score([0.5, 0.5], 2), r"outcome must be an int index in \[0, 2\)"),
        (lambda: S.log_score([1.0], 0), "at least two outcomes"),
        (lambda: S.score("spherical", [0.5, 0.5], 0), "unknown scoring rule 'spherical'"),
        (lambda: S.kelly_wealth(1.0, [0.5, 0.5], [0.5, 0.5], 0, 1.5), "Kelly fraction"),
        (lambda: S.kelly_fraction(0.5, 1.0), r"price must be in \(0, 1\)"),
        (lambda: S.emission_weights([1.0], "rank"), "unknown emission rule 'rank'"),
        (lambda: S.brier_improvement_ppm(1_000_001, True), "forecast must be an int in"),
        (lambda: S.brier_improvement_ppm(5, 1), "outcome must be a bool"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_names_the_problem(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
