"""The ratio objective (accord.mechanisms.bandit_mdp.revenue) against its closed forms:
the honest share, Eyal and Sirer's SM1, and Sapirshtein et al.'s bounds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.bandit_mdp import (
    Chain,
    honest_policy,
    optimal_revenue,
    policy_revenue,
    sm1_policy,
    sm1_revenue,
)


@settings(max_examples=25, deadline=None)
@given(alpha=st.floats(0.01, 0.99), stale=st.floats(0.0, 0.5), gamma=st.floats(0.0, 1.0))
def test_the_honest_share_is_its_closed_form(alpha: float, stale: float, gamma: float) -> None:
    """Honest mining: α per step for the adversary, (1 − α)(1 − r_s) for the others."""
    chain = Chain(alpha, gamma=gamma, stale=stale, cutoff=4)
    expected = alpha / (alpha + (1 - alpha) * (1 - stale))
    assert policy_revenue(chain, honest_policy(chain)) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("alpha", [0.2, 0.25, 0.3])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0])
def test_sm1_in_the_mdp_is_eyal_and_sirers_closed_form(alpha: float, gamma: float) -> None:
    chain = Chain(alpha, gamma=gamma, cutoff=40)
    assert policy_revenue(chain, sm1_policy(chain)) == pytest.approx(
        sm1_revenue(alpha, gamma), abs=1e-6
    )


def test_sm1_closed_form_values() -> None:
    assert sm1_revenue(1 / 3, 0.0) == pytest.approx(1 / 3, abs=1e-15)  # SM1's γ = 0 threshold
    assert sm1_revenue(0.25, 0.5) == pytest.approx(0.25, abs=1e-15)  # and γ = 1/2's


def test_optimal_selfish_mining() -> None:
    """Sapirshtein et al.: no profitable deviation at α = 10 %, γ = 0; at γ = 1 the bound
    α / (1 − α) is reached; at α = 1/3, γ = 0 the optimum beats SM1 (which breaks even)
    and grows with the cutoff, staying under the bound."""
    assert optimal_revenue(Chain(0.1)) == pytest.approx(0.1, abs=1e-9)
    assert optimal_revenue(Chain(0.3, gamma=1.0)) == pytest.approx(0.3 / 0.7, abs=1e-6)
    third = [optimal_revenue(Chain(1 / 3, cutoff=c)) for c in (10, 20, 30)]
    assert third == sorted(third) and third[0] > 1 / 3 + 1e-3 and third[-1] < 0.5
    assert third[1] == pytest.approx(0.336883, abs=1e-6)  # this model at cutoff 20
    for alpha, gamma in ((0.35, 0.0), (0.25, 0.5)):
        chain = Chain(alpha, gamma=gamma)
        best = optimal_revenue(chain)
        assert best >= policy_revenue(chain, sm1_policy(chain)) - 1e-12
        assert alpha - 1e-12 <= best <= alpha / (1 - alpha)
