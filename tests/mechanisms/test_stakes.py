"""A unilateral stake in the matrix dilemmas, exactly: θ_commit, payoffs, equilibria and
iterated strict dominance, against values derived by hand from the 2x2 matrices
(PD T=5, R=3, P=1, S=0; stag hunt R=4, T=P=3, S=0; chicken T=5, R=3, S=1, P=0)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms import dilemmas
from accord.mechanisms.stakes import (
    MAX_PLAYERS,
    pure_equilibria,
    stake_payoffs,
    surviving,
    theta_commit,
)

PD = dilemmas.prisoners_dilemma(2)
STAG = dilemmas.stag_hunt(2)
CHICKEN = dilemmas.chicken(2)
C, D = True, False


def test_theta_commit_is_max_of_t_minus_r_and_p_minus_s() -> None:
    assert theta_commit(PD) == 2  # T - R = 2 > P - S = 1
    assert theta_commit(STAG) == 3  # P - S = 3 > T - R = -1
    assert theta_commit(CHICKEN) == 2  # T - R = 2 > P - S = -1


def test_payoffs_by_hand() -> None:
    # player 0 stakes 4 points: its defection pays 4 to player 1, nobody else ever pays
    assert stake_payoffs(STAG, 4, (D, C)) == (3 - 4, 0 + 4)
    assert stake_payoffs(STAG, 4, (C, D)) == (0, 3)
    assert stake_payoffs(STAG, 4, (D, D)) == (3 - 4, 3 + 4)
    assert stake_payoffs(STAG, 4, (C, C)) == (4, 4)
    # committer 1, three players: the stake is split between the two others
    game = dilemmas.prisoners_dilemma(3)
    pay = stake_payoffs(game, 3, (C, D, C), committer=1)
    assert pay == (Fraction(3, 2) + Fraction(3, 2), 5 - 3, Fraction(3, 2) + Fraction(3, 2))
    assert sum(pay) == dilemmas.welfare(game, 2)


def test_stag_hunt_a_stake_above_three_leaves_stag_stag_alone() -> None:
    # without a stake, and at θ = θ_commit = 3 (a tie against a hare hunter): both
    # equilibria, nothing eliminated
    for theta in (0, 3):
        assert pure_equilibria(STAG, theta) == ((C, C), (D, D))
        assert surviving(STAG, theta) == ((C, D), (C, D))
    # just above: hare is strictly dominated for player 0, then for player 1 (4 > 3)
    for theta in (Fraction(301, 100), 4, 5):
        assert surviving(STAG, theta) == ((C,), (C,))
        assert pure_equilibria(STAG, theta) == ((C, C),)
        assert stake_payoffs(STAG, theta, (C, C)) == (4, 4)
        assert sum(stake_payoffs(STAG, theta, (C, C))) == dilemmas.optimal_welfare(STAG) == 8


def test_prisoners_dilemma_a_stake_makes_only_the_committer_cooperate() -> None:
    # player 1's defection is strictly dominant whatever player 0 stakes (5 > 3, 1 > 0):
    # a stake moves player 0 to C once C beats D against a defector (θ > P - S = 1)
    assert surviving(PD, 1) == ((C, D), (D,))
    assert pure_equilibria(PD, 1) == ((C, D), (D, D))  # 0 = 1 - 1: a tie
    for theta in (2, 3, 5):
        assert surviving(PD, theta) == ((C,), (D,))
        assert pure_equilibria(PD, theta) == ((C, D),)
        pay = stake_payoffs(PD, theta, (C, D))
        assert pay == (0, 5)  # S and T: nothing moves, the committer cooperated
        assert sum(pay) == 5 < dilemmas.optimal_welfare(PD) == 6


def test_chicken_a_stake_picks_the_equilibrium_where_the_committer_swerves() -> None:
    assert pure_equilibria(CHICKEN, 0) == ((C, D), (D, C))
    assert pure_equilibria(CHICKEN, 3) == ((C, D),)
    assert surviving(CHICKEN, 3) == ((C,), (D,))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 5),
    theta=st.fractions(min_value=0, max_value=20, max_denominator=50),
    committer=st.integers(0, 4),
    game=st.sampled_from(["pd", "stag", "chicken"]),
)
def test_above_theta_commit_the_committer_always_cooperates(
    n: int, theta: Fraction, committer: int, game: str
) -> None:
    """Generated games: above θ_commit only C survives for the committer (at or below
    it C may still survive alone, once the others' dominated moves are gone: the PD at
    θ = 2), and the transfers are zero-sum in every equilibrium."""
    g = {"pd": dilemmas.prisoners_dilemma, "stag": dilemmas.stag_hunt, "chicken": dilemmas.chicken}[
        game
    ](n)
    committer %= n
    left = surviving(g, theta, committer)
    if theta > theta_commit(g):
        assert left[committer] == (C,)
    for profile in pure_equilibria(g, theta, committer):
        assert sum(stake_payoffs(g, theta, profile, committer)) == dilemmas.welfare(g, sum(profile))


@pytest.mark.parametrize(
    ("kw", "error", "match"),
    [
        ({"theta": 1.5}, TypeError, "theta must be an int or a Fraction"),
        ({"theta": True}, TypeError, "theta must be an int or a Fraction"),
        ({"theta": "3"}, TypeError, "theta must be an int or a Fraction"),
        ({"theta": -1}, ValueError, "theta must be >= 0"),
        ({"committer": 2}, ValueError, "committer must be a player index < 2"),
        ({"committer": -1}, ValueError, "committer must be a player index"),
        ({"committer": 0.0}, ValueError, "committer must be a player index"),
        ({"profile": (True,)}, ValueError, "profile must be 2 bools"),
        ({"profile": (1, 0)}, ValueError, "profile must hold bools"),
        ({"profile": "CD"}, ValueError, "profile must be 2 bools"),
    ],
)
def test_hostile_input_is_refused_in_one_line(
    kw: dict[str, object], error: type[Exception], match: str
) -> None:
    args: dict[str, object] = {"theta": 3, "profile": (C, D), "committer": 0} | kw
    with pytest.raises(error, match=match) as err:
        stake_payoffs(PD, **args)  # type: ignore[arg-type]
    assert "\n" not in str(err.value)
    if "profile" not in kw:
        with pytest.raises(error, match=match):
            surviving(PD, args["theta"], args["committer"])  # type: ignore[arg-type]


def test_too_many_players_for_the_enumeration() -> None:
    big = dilemmas.prisoners_dilemma(MAX_PLAYERS + 1)
    with pytest.raises(ValueError, match=f"at most {MAX_PLAYERS} players"):
        pure_equilibria(big, 1)
