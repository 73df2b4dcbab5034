"""Commitment races' theory: the games, the prize of the race, the all-pay fee war,
Chicken's mixed fallback and extortion (accord/mechanisms/races.py)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.races import RaceGame, all_pay, chicken_mixed, extortion

CHICKEN = RaceGame("chicken", T=5, R=3, S=1, P=0).check()
ULTIMATUM = RaceGame("ultimatum", pie=100).check()


def test_chicken_race_prize_and_fallback() -> None:
    assert CHICKEN.winner_loser() == (5, 1)
    assert CHICKEN.prize == 4  # V = T - S
    mixed = chicken_mixed(CHICKEN)
    # q = (T-R)/((T-R)+(S-P)) = 2/3; value (1-q)R + qS = 1 + 2/3
    assert mixed.straight == Fraction(2, 3)
    assert mixed.value == Fraction(5, 3)
    # indifference: swerve and straight earn the same against q
    q = mixed.straight
    assert (1 - q) * 3 + q * 1 == (1 - q) * 5 + q * 0
    assert CHICKEN.pot == 6


def test_ultimatum_race_prize_and_fallback() -> None:
    assert ULTIMATUM.winner_loser() == (99, 1)
    assert ULTIMATUM.prize == 98
    assert ULTIMATUM.fallback() == (Fraction(99), Fraction(1))  # the proposer's own first move
    assert ULTIMATUM.best_response(0, 99) == 99 and ULTIMATUM.best_response(1, 1) == 1
    assert ULTIMATUM.best_response(1, 0) == 1  # a zero offer is refused
    assert ULTIMATUM.payoffs(99, 99) == (1, 99) and ULTIMATUM.payoffs(1, 2) == (0, 0)


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 100), st.integers(0, 100))
def test_ultimatum_best_responses_are_best(x: int, y: int) -> None:
    g = ULTIMATUM
    br0 = g.best_response(0, y)
    assert g.payoffs(br0, y)[0] == max(g.payoffs(o, y)[0] for o in range(101))
    br1 = g.best_response(1, x)
    assert g.payoffs(x, br1)[1] == max(g.payoffs(x, t)[1] for t in range(101))


def test_all_pay_equilibrium_dissipates_the_rent() -> None:
    war = all_pay(4_000)
    assert war.mean_bid == 2_000 and war.total_bids == 4_000 and war.dissipation == 1
    assert war.win_share == Fraction(1, 2)
    with pytest.raises(ValueError, match="prize"):
        all_pay(0)


def test_extortion_pays_only_a_committed_threat_against_an_unpledged_target() -> None:
    committed = extortion(1_000, 300, committed=True, pledged=False)
    assert committed.threatens and committed.pays and committed.demand == 999
    assert committed.extorter_gain == 999 and committed.target_gain == -999
    for outcome in (
        extortion(1_000, 300, committed=False, pledged=False),
        extortion(1_000, 300, committed=True, pledged=True),
    ):
        assert not outcome.threatens and outcome.extorter_gain == 0 == outcome.target_gain


@pytest.mark.parametrize(
    "game, match",
    [
        (RaceGame("chicken", T=3, R=3, S=1, P=0), "T > R > S > P"),
        (RaceGame("chicken", T=5, R=3, S=1, P=-1), "non-negative"),
        (RaceGame("ultimatum", pie=2), "pie"),
        (RaceGame("poker"), "kind"),  # type: ignore[arg-type]
    ],
)
def test_bad_games_are_named(game: RaceGame, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        game.check()
    with pytest.raises(ValueError, match="harm"):
        extortion(0, 1, committed=True, pledged=False)
