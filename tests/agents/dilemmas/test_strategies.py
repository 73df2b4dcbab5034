"""The scripted dilemma players: moves by hand, acceptance by individual rationality, and
the planner's contract against the closed-form thresholds."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from accord.agents.dilemmas import (
    AlwaysDefect,
    Cooperator,
    Greedy,
    Planner,
    RoundView,
    TitForTat,
    contract_value,
    make_strategy,
    planner_choice,
)
from accord.mechanisms.dilemmas import (
    chicken,
    prisoners_dilemma,
    public_goods,
    stag_hunt,
    theta_dominant,
)

PD = prisoners_dilemma()
MENU = [None, F(1), F(2), F(3), F(4), F(5)]  # θ = 100..500 base units at unit 100


def view(game=PD, me=0, theta=None, last=None):  # type: ignore[no-untyped-def]
    return RoundView(game, me, 0 if last is None else 1, theta, last)


def test_unconditional_players() -> None:
    assert AlwaysDefect().move(view()) == 1 and Cooperator().move(view()) == 0
    assert not AlwaysDefect().accepts(PD, F(3)) and Cooperator().accepts(PD, F(3))


def test_tit_for_tat_two_and_three_players() -> None:
    tft = TitForTat()
    assert tft.move(view()) == 0
    assert tft.move(view(last=(True, False))) == 1 and tft.move(view(last=(False, True))) == 0
    three = prisoners_dilemma(3)
    assert tft.move(view(three, last=(True, True, False))) == 1
    assert TitForTat(quorum=0.5).move(view(three, last=(True, True, False))) == 0
    with pytest.raises(ValueError, match="quorum"):
        TitForTat(quorum=2.0)


def test_greedy_best_responds_under_the_contract() -> None:
    g = Greedy()
    assert g.move(view(last=(True, True))) == 1  # PD, no contract: defect
    assert g.move(view(theta=F(3), last=(True, True))) == 0  # θ = 3 > θ_dom = 2
    assert g.move(view(theta=F(3, 2), last=(False, False))) == 0  # θ > 1 vs a defector
    assert g.move(view(theta=F(3, 2), last=(True, True))) == 1  # but θ < 2 vs a cooperator
    # stag hunt: hare against hare, stag against stag
    sh = stag_hunt()
    assert g.move(view(sh, last=(False, False))) == 1 and g.move(view(sh, last=(True, True))) == 0


def test_contract_value_and_acceptance() -> None:
    assert contract_value(PD, None) == 1 and contract_value(PD, F(3)) == 3
    assert contract_value(PD, F(3), F(1, 2)) == F(5, 2)
    assert Greedy().accepts(PD, F(3)) and Greedy().accepts(PD, F(1))  # 1 >= 1: weakly
    # a keeper fee above the gain (3 - 1 = 2 points a round) is refused
    assert Greedy().accepts(PD, F(3), F(2)) and not Greedy().accepts(PD, F(3), F(21, 10))


@pytest.mark.parametrize(
    ("game", "expected"),
    [
        (prisoners_dilemma(), 3),  # the first θ above θ_dom = 2
        (stag_hunt(), 4),  # the first θ above θ_dom = 3
        (chicken(), 0),  # equilibria already reach the optimum's welfare
        (public_goods(4, 2), 1),  # θ_dom = 1/2: θ = 1 suffices
        (prisoners_dilemma(3), 3),  # θ_dom = 2 for n = 3 as well
    ],
)
def test_the_planner_picks_the_first_theta_above_the_threshold(game, expected) -> None:  # type: ignore[no-untyped-def]
    k = planner_choice(game, MENU)
    assert k == expected
    if k:
        assert MENU[k] > theta_dominant(game) and all(
            t is None or t <= theta_dominant(game) for t in MENU[1:k]
        )
    assert Planner().propose(game, MENU) == k


def test_the_planner_refuses_a_bad_menu_and_fees_deter_it() -> None:
    with pytest.raises(ValueError, match="entry 0"):
        planner_choice(PD, [F(1), F(2)])
    assert planner_choice(PD, MENU, fee=F(3)) == 0  # 3 - 3 = 0 < 1: nobody would accept
    assert make_strategy("planner").name == "planner"
    with pytest.raises(ValueError, match="unknown strategy"):
        make_strategy("skynet")
