"""n-player dilemmas: the matrices, equilibria, optima and θ thresholds, derived by hand."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.mechanisms.dilemmas import (
    Dilemma,
    chicken,
    equilibria,
    equilibrium_payoff,
    gain_from_cooperating,
    optimal_cooperators,
    optimal_welfare,
    payoff,
    prisoners_dilemma,
    public_goods,
    stag_hunt,
    theta_dominant,
    theta_equilibrium,
    welfare,
    with_transfer,
)


def test_two_player_games_are_their_matrices() -> None:
    pd = prisoners_dilemma()
    assert pd.cooperate == (0, 3) and pd.defect == (1, 5)
    assert stag_hunt().cooperate == (0, 4) and stag_hunt().defect == (3, 3)
    assert chicken().cooperate == (1, 3) and chicken().defect == (0, 5)
    assert payoff(pd, True, 1) == 3 and payoff(pd, False, 0) == 1


def test_two_player_equilibria_and_optima() -> None:
    # PD: mutual defection is the only equilibrium; mutual cooperation (6) is optimal.
    assert equilibria(prisoners_dilemma()) == (0,)
    assert optimal_cooperators(prisoners_dilemma()) == (2,)
    assert optimal_welfare(prisoners_dilemma()) == 6
    # stag hunt: all-hare and all-stag; all-stag (8) optimal, all-hare gives 6.
    assert equilibria(stag_hunt()) == (0, 2)
    assert optimal_welfare(stag_hunt()) == 8 and welfare(stag_hunt(), 0) == 6
    # chicken: one swerves, one drives (welfare 6); both swerving is optimal, also 6.
    assert equilibria(chicken()) == (1,)
    assert welfare(chicken(), 1) == 6 and welfare(chicken(), 2) == 6
    assert optimal_cooperators(chicken()) == (1, 2)


def test_the_brief_pd_thresholds_by_hand() -> None:
    # T=5, R=3, P=1, S=0. Against a cooperator: C gives R = 3, D gives T - θ = 5 - θ,
    # so C is better iff θ > 2. Against a defector: C gives S + θ = θ, D gives P = 1
    # (no cooperator: nobody pays), so θ > 1. Dominant iff θ > max(1, 2) = 2.
    pd = prisoners_dilemma()
    assert theta_equilibrium(pd) == 2
    assert theta_dominant(pd) == 2
    assert gain_from_cooperating(pd, 2) == (1, 0)
    assert gain_from_cooperating(pd, F(5, 2)) == (F(3, 2), F(1, 2))
    # at θ = 2 (C_θ = (2, 3), D_θ = (1, 3)) the defector against a cooperator is
    # indifferent: one cooperator (weakly) and all-C are equilibria, all-D no longer
    assert equilibria(with_transfer(pd, 2)) == (1, 2)
    assert equilibria(with_transfer(pd, 3)) == (2,)
    # stag hunt R=4, T=P=3, S=0: a lone stag hunter gets θ against the hare's 3.
    assert theta_dominant(stag_hunt()) == 3 and theta_equilibrium(stag_hunt()) == -1
    assert equilibria(with_transfer(stag_hunt(), 4)) == (2,)
    assert equilibria(with_transfer(stag_hunt(), 3)) == (0, 2)
    # chicken T=5, R=3, S=1, P=0: swerving against a swerver needs θ > 2.
    assert theta_dominant(chicken()) == 2 and equilibria(with_transfer(chicken(), 3)) == (2,)


def test_three_player_pd_by_hand() -> None:
    # n = 3: C(k) = 0 + 3k/2, D(k) = 1 + 4k/2, so C = (0, 3/2, 3), D = (1, 3, 5).
    pd = prisoners_dilemma(3)
    assert pd.cooperate == (0, F(3, 2), 3) and pd.defect == (1, 3, 5)
    # W(m): 3, 0 + 2·3 = 6, 2·(3/2) + 5 = 8, 9.
    assert [welfare(pd, m) for m in range(4)] == [3, 6, 8, 9]
    # gaps D - C: 1, 3/2, 2; weights w: 2, 3/2, 1 → thresholds 1/2, 1, 2.
    assert theta_dominant(pd) == 2 and theta_equilibrium(pd) == 2
    # θ = 1: a lone cooperator collects 2θ = 2 (> 1 for defecting): 0 + 2 = 2 vs 1.
    t = with_transfer(pd, 1)
    assert t.cooperate == (2, F(3, 2) + F(1, 2), 3) and t.defect == (1, 2, 4)


def test_public_goods_closed_form() -> None:
    # n = 4, r = 2, c = 1: C(k) = (k+1)/2 - 1, D(k) = k/2; gap D - C = 1 - r/n = 1/2.
    g = public_goods(4, 2, 1)
    assert g.cooperate == (F(-1, 2), 0, F(1, 2), 1) and g.defect == (0, F(1, 2), 1, F(3, 2))
    assert equilibria(g) == (0,) and optimal_cooperators(g) == (4,)
    assert optimal_welfare(g) == 4  # everyone gets r·c - c = 1
    assert theta_dominant(g) == F(1, 2) == theta_equilibrium(g)
    assert equilibria(with_transfer(g, F(1, 2) + F(1, 100))) == (4,)


@given(
    n=st.integers(2, 7),
    r=st.fractions(F(101, 100), F(699, 100)),
    c=st.fractions(F(1, 10), 10),
)
def test_public_goods_thresholds_match_their_formula(n: int, r: F, c: F) -> None:
    if not 1 < r < n:
        return
    g = public_goods(n, r, c)
    assert theta_dominant(g) == theta_equilibrium(g) == c * (1 - r / n)


payoffs = st.integers(-20, 20)


@st.composite
def matrix_games(draw: st.DrawFn) -> Dilemma:
    n = draw(st.integers(2, 6))
    kind = draw(st.sampled_from(["pd", "stag", "chicken"]))
    a, b, c, d = sorted(draw(st.lists(payoffs, min_size=4, max_size=4, unique=True)))
    if kind == "pd":  # T > R > P > S
        return prisoners_dilemma(n, T=d, R=c, P=b, S=a)
    if kind == "stag":  # R > T > P > S
        return stag_hunt(n, R=d, T=c, P=b, S=a)
    return chicken(n, T=d, R=c, S=b, P=a)


@given(game=matrix_games(), eps=st.fractions(F(1, 1000), 5))
def test_thresholds_are_tight(game: Dilemma, eps: F) -> None:
    """Above θ_dom cooperating is strictly dominant and all-C the only equilibrium; at
    θ_dom it is not strictly dominant; all-C is an equilibrium exactly from θ_eq on."""
    dom, eq = theta_dominant(game), theta_equilibrium(game)
    n = game.n
    above = max(dom + eps, F(0))
    assert all(g > 0 for g in gain_from_cooperating(game, above))
    assert equilibria(with_transfer(game, above)) == (n,)
    if dom >= 0:
        assert min(gain_from_cooperating(game, dom)) == 0
    if eq >= 0:
        assert n in equilibria(with_transfer(game, eq))
        if eq - eps >= 0:
            assert n not in equilibria(with_transfer(game, eq - eps))
    # the linear matrix games: θ_eq = T - R whatever n
    assert eq == game.defect[-1] - game.cooperate[-1]


@given(game=matrix_games(), theta=st.fractions(0, 20), m=st.integers(0, 6))
def test_transfers_are_zero_sum(game: Dilemma, theta: F, m: int) -> None:
    m = min(m, game.n)
    assert welfare(with_transfer(game, theta), m) == welfare(game, m)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="T > R > P > S"):
        prisoners_dilemma(2, T=3, R=5)
    with pytest.raises(ValueError, match="R > T >= P > S"):
        stag_hunt(2, R=3, T=4)
    with pytest.raises(ValueError, match="T > R > S > P"):
        chicken(2, S=0, P=1)
    with pytest.raises(ValueError, match="1 < r < n"):
        public_goods(3, 3)
    with pytest.raises(ValueError, match="c > 0"):
        public_goods(3, 2, 0)
    with pytest.raises(ValueError, match="n \\(players\\)"):
        prisoners_dilemma(1)
    with pytest.raises(TypeError, match="int or a Fraction"):
        prisoners_dilemma(2, T=5.0)
    with pytest.raises(TypeError, match="int or a Fraction"):
        with_transfer(prisoners_dilemma(), True)
    with pytest.raises(ValueError, match="theta must be >= 0"):
        with_transfer(prisoners_dilemma(), -1)
    with pytest.raises(ValueError, match="others"):
        payoff(prisoners_dilemma(), True, 2)
    with pytest.raises(ValueError, match="cooperators"):
        welfare(prisoners_dilemma(), 3)
    with pytest.raises(ValueError, match="same length"):
        Dilemma("x", (F(1), F(2)), (F(1),))


def test_equilibrium_payoffs_by_hand() -> None:
    # PD: all-D (1 each) without; above θ = 2 all-C (3 each).
    assert equilibrium_payoff(prisoners_dilemma()) == 1
    assert equilibrium_payoff(prisoners_dilemma(), 3) == 3
    # at θ = 2 one equilibrium has one cooperator: W(1) = (0 + 2) + (5 - 2) = 5, 5/2 each
    assert equilibrium_payoff(prisoners_dilemma(), 2) == F(5, 2)
    # stag hunt: the worst of all-hare (3) and all-stag (4) until θ > 3
    assert equilibrium_payoff(stag_hunt()) == 3 and equilibrium_payoff(stag_hunt(), 3) == 3
    assert equilibrium_payoff(stag_hunt(), 4) == 4
    # chicken: one swerves (welfare 6) or, above θ = 2, all swerve (welfare 6): 3 each
    assert equilibrium_payoff(chicken()) == 3 == equilibrium_payoff(chicken(), 3)
    # public goods n = 4, r = 2: nobody contributes (0) / all contribute (1 each)
    assert equilibrium_payoff(public_goods(4, 2)) == 0
    assert equilibrium_payoff(public_goods(4, 2), 1) == 1


@given(game=matrix_games(), theta=st.fractions(0, 30))
def test_a_pure_equilibrium_always_exists(game: Dilemma, theta: F) -> None:
    assert equilibria(with_transfer(game, theta))
