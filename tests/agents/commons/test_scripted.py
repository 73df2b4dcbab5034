"""The scripted fishers and the planner's season model, against hand-derived payoffs."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.agents.commons import (
    FisherView,
    Greedy,
    Planner,
    Sustainable,
    Terms,
    TitForTat,
    best_response,
    plan,
    season,
)
from accord.agents.commons.model import deposit_for, fines
from accord.mechanisms.commons import GOVSIM

FISHERS = tuple(f"fisher_{i}" for i in range(5))
MENU = tuple(
    Terms(q, p, deposit_for(GOVSIM, q, p)) for q in (2, 4, 6, 8, 10, 12, 15, 20) for p in (1, 2, 3)
)


def view(stock: int = 100, contract: Terms | None = None, **kw: object) -> FisherView:
    args: dict[str, object] = dict(
        fisher="fisher_0",
        fishers=FISHERS,
        phase="harvest",
        round=1,
        rounds=12,
        stock=stock,
        threshold=(stock - max(-(-stock // 2), 5)) // 5 if stock >= 5 else 0,
        capacity=100,
        collapse_below=5,
        growth=2,
        contract=contract,
        menu=MENU,
    )
    args.update(kw)
    return FisherView(**args)  # type: ignore[arg-type]


def test_no_contract_season_is_one_greedy_round() -> None:
    # everyone asks for the lake; over the 5 serving orders each is first once: 100 / 5
    assert season(GOVSIM, None) == (Fraction(20),) * 5


def test_the_planner_picks_the_threshold_quota_with_a_deterring_penalty() -> None:
    # q = 10 keeps 50 a round: 12 * 10 = 120 each > 20; p = 1 does not deter (indifferent)
    assert plan(GOVSIM, MENU) == Terms(10, 2, 180)
    assert season(GOVSIM, Terms(10, 2, 180)) == (Fraction(120),) * 5
    # p = 1: the first served takes 100 and pays 90 to the others; the split's remainder
    # (90 = 4 * 22 + 2) goes to the first in party order, so payoffs differ by a unit
    unfair = season(GOVSIM, Terms(10, 1, 90))
    assert sum(unfair) == 100 and all(19 <= u <= 21 for u in unfair)
    # q = 12: 60 a round, 100 -> 40 -> 80 -> 40 -> 80 ... never collapses but yields less
    assert sum(season(GOVSIM, Terms(12, 2, 176))) < 600
    assert plan(GOVSIM, MENU[:3]) == Terms(2, 2, 196)  # any deterring quota beats collapse


def test_best_response() -> None:
    assert best_response(100, None) == 100
    assert best_response(100, Terms(10, 2, 180)) == 10
    assert best_response(100, Terms(10, 1, 90)) == 100  # indifferent: assume the worst
    assert best_response(100, Terms(10, 3, 20)) == 100  # a small deposit caps the penalty
    assert best_response(7, Terms(10, 2, 180)) == 7


def test_scripted_catches() -> None:
    deterred = Terms(10, 2, 180)
    assert Greedy("g").catch(view()) == 100
    assert Greedy("g").catch(view(contract=deterred)) == 10
    assert Sustainable("s").catch(view()) == 10
    assert Sustainable("s").catch(view(stock=60)) == 6
    assert Sustainable("s").catch(view(contract=Terms(4, 2, 192))) == 4
    tft = TitForTat("t")
    assert tft.catch(view()) == 10  # round 1: the threshold
    last = dict(zip(FISHERS, (3, 20, 0, 10, 30), strict=True))
    assert tft.catch(view(last_catches=last, round=2)) == 15  # (20 + 0 + 10 + 30) // 4
    assert tft.catch(view(last_catches=last, round=2, contract=deterred)) == 10
    assert Planner("p").propose(view()) == Terms(10, 2, 180)
    assert Greedy("g").propose(view()) is None


def test_acceptance_follows_the_model() -> None:
    assert Greedy("g").accept(view(), Terms(10, 2, 180))  # 120 >= 20
    assert Greedy("g").accept(view(), Terms(2, 2, 196))  # 24 >= 20
    # p = 1 leaves fisher_4 (last in party order) 98/5 < 20: it rejects
    last = view(fisher="fisher_4")
    assert season(GOVSIM, Terms(10, 1, 90))[4] < 20
    assert not Sustainable("s").accept(last, Terms(10, 1, 90))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(MENU), st.lists(st.integers(0, 100), min_size=2, max_size=6))
def test_fines_conserve(terms: Terms, catches: list[int]) -> None:
    net = fines(terms, catches)
    assert sum(net) == 0
    for c, x in zip(catches, net, strict=True):
        if c <= terms.quota:
            assert x >= 0
