"""The mediator's exact rules: closed forms, IR / budget balance / deficit where theory
says, collateral bounds over every report, and the finite-set bargaining solutions."""

from __future__ import annotations

import re
from fractions import Fraction
from itertools import product
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.bargaining.mediation_rules import (
    SOLUTIONS,
    BilateralRule,
    choose,
    choose_among,
    individually_rational,
    parse_rule,
)
from accord.mechanisms.bargaining.solutions import solve

R = (0, 12)


def rule(*spec: Any) -> BilateralRule:
    parsed = parse_rule(spec, 2)
    assert isinstance(parsed, BilateralRule)
    return parsed


ALL = [
    rule("k_double_auction", R, R, 1, (0, 1)),
    rule("k_double_auction", R, R, 1, (1, 3)),
    rule("k_double_auction", R, R, 1, (1, 1)),
    rule("posted_price", R, R, 1, 5),
    rule("first_best", R, R, 1),
    rule("second_best", R, R, 1),
    rule("vcg", R, (2, 12), 1),
    rule("agv", R, R, 1),
    rule("agv", (0, 7), (3, 12), 2),
]


@pytest.mark.parametrize("r", ALL, ids=lambda r: r.name)
def test_collateral_covers_every_report_and_the_deficit_is_bounded(r: BilateralRule) -> None:
    exposure, deficit = r.exposure(), r.max_deficit()
    worst = [0, 0]
    for v, c in product(range(r.buyer[0], r.buyer[1] + 1), range(r.seller[0], r.seller[1] + 1)):
        (pay, good), (get, gave) = r.settle((v, c)).transfers
        assert -pay <= exposure[0][0] and -gave <= exposure[1][1] and get >= -exposure[1][0]
        assert good == -gave in (0, r.lot)
        assert pay + get <= deficit
        worst = [max(worst[0], -pay), max(worst[1], pay + get)]
    assert worst[0] == exposure[0][0]  # the bound is tight: some report pays all of it
    assert worst[1] == deficit


@pytest.mark.parametrize("r", [a for a in ALL if a.name not in ("agv", "vcg")], ids=str)
def test_budget_balanced_rules_are_ex_post_ir_and_keep_at_most_one_unit(r: BilateralRule) -> None:
    for v, c in product(range(13), repeat=2):
        (pay, _), (get, _) = r.settle((v, c)).transfers
        assert -1 <= pay + get <= 0  # the unit of rounding goes to the sink
        if r.decide(v, c).trade:
            assert -pay <= v and get >= c  # individually rational for both
        else:
            assert pay == get == 0


def test_vcg_runs_a_deficit_on_every_trade() -> None:
    """Krishna (2010, §5.3): the buyer pays max(c, vl), the seller gets min(v, ch)."""
    r = rule("vcg", (3, 12), (0, 9), 1)
    for v, c in product(range(3, 13), range(10)):
        (pay, _), (get, _) = r.settle((v, c)).transfers
        assert pay + get == (min(v, 9) - max(c, 3) if v >= c else 0)
        assert (pay + get > 0) == (v >= c and min(v, 9) > max(c, 3))
    assert r.max_deficit() == 6


def test_vcg_runs_a_surplus_when_every_value_is_above_every_cost() -> None:
    """Disjoint ranges (``vl > ch``): every pair trades, the buyer pays ``vl``, the seller
    gets ``ch``; the ``vl - ch`` left over is the sink's and no subsidy is needed (the
    Myerson-Satterthwaite impossibility needs overlapping supports)."""
    r = rule("vcg", (10, 20), (0, 6), 1)
    for v, c in product(range(10, 21), range(7)):
        (pay, _), (get, _) = r.settle((v, c)).transfers
        assert (pay, get) == (-10, 6)
    assert r.max_deficit() == 0


def test_agv_is_budget_balanced_but_not_individually_rational() -> None:
    r = rule("agv", (0, 100), (0, 100), 1)
    for v, c in product(range(0, 101, 5), repeat=2):
        t = r.decide(v, c)
        assert t.buyer_pays == t.seller_gets  # exactly balanced before rounding
        assert t.trade == (v >= c)
    # a buyer who values the good at 10 and does not trade still pays 38 (IR fails)
    assert r.decide(10, 50) == r.decide(10, 50).__class__(False, Fraction(38), Fraction(38))
    # the expected transfer makes truth-telling a best reply in expectation (AGV):
    # a buyer's interim utility E_c[v 1{v>=c} - X(v, c)] is maximised at its true value
    grid = range(0, 101)

    def interim(v: int, report: int) -> Fraction:
        total = sum((v if report >= c else 0) - r.decide(report, c).buyer_pays for c in grid)
        return Fraction(total, len(grid))

    for v in (20, 50, 80):
        best = max(range(0, 101, 5), key=lambda b: interim(v, b))
        assert abs(best - v) <= 5


def test_second_best_is_the_linear_equilibrium_of_the_half_double_auction() -> None:
    """Chatterjee & Samuelson (1983): on [0, L] the buyer bids 2v/3 + L/12 and the seller
    2c/3 + L/4; the ½-double auction on those bids is the second-best direct mechanism."""
    second, half = rule("second_best", R, R, 1), rule("k_double_auction", (0, 13), R, 1, (1, 2))
    for v, c in product(range(0, 13, 3), repeat=2):
        bid, ask = 2 * v // 3 + 1, 2 * c // 3 + 3
        assert second.decide(v, c) == half.decide(bid, ask)


def test_second_best_is_the_linear_equilibrium_on_a_shifted_range() -> None:
    """On ``[a, a + L]`` the equilibrium bids are ``2v/3 + a/3 + L/12`` and
    ``2c/3 + a/3 + L/4`` (the ``[0, 1]`` strategies moved by ``x -> a + L x``); the
    rule's ``a/3`` term is what this checks (``a = 6``, ``L = 12``)."""
    a, top = 6, 18
    second = rule("second_best", (a, top), (a, top), 1)
    half = rule("k_double_auction", (0, 30), (0, 30), 1, (1, 2))
    for v, c in product(range(a, top + 1, 3), repeat=2):
        bid, ask = 2 * v // 3 + a // 3 + 1, 2 * c // 3 + a // 3 + 3
        assert second.decide(v, c) == half.decide(bid, ask), (v, c)
    assert not second.decide(11, 9).trade  # the gap 2 is below L/4 = 3
    assert second.decide(12, 9).buyer_pays == Fraction(21, 3) + 4 == 11  # (v+c)/3 + a/3 + L/6


def test_second_best_gains_are_27_32_of_first_best() -> None:
    """Myerson & Satterthwaite (1983): for uniform [0, 1] values and costs the second best
    gains 9/64 against first best's 1/6, efficiency 27/32, trading iff v - c >= 1/4."""
    n = 400
    second, first = rule("second_best", (0, n), (0, n), 1), rule("first_best", (0, n), (0, n), 1)
    gains = {"second": 0, "first": 0}
    for v in range(n + 1):
        for c in range(v + 1):
            gains["first"] += v - c
            gains["second"] += (v - c) if second.decide(v, c).trade else 0
    assert first.decide(3, 3).trade and not second.decide(3, 3).trade
    assert abs(Fraction(gains["second"], gains["first"]) - Fraction(27, 32)) < Fraction(1, 100)


def test_posted_price_and_k_extremes() -> None:
    assert rule("posted_price", R, R, 1, 5).decide(5, 5).trade
    assert not rule("posted_price", R, R, 1, 5).decide(4, 0).trade
    assert rule("k_double_auction", R, R, 1, (0, 1)).decide(9, 3).buyer_pays == 3
    assert rule("k_double_auction", R, R, 1, (1, 1)).decide(9, 3).buyer_pays == 9


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ((), "tuple (name"),
        (("bogus",), "unknown rule"),
        (("vcg", (5, 5), R, 1), "low < high"),
        (("vcg", (-1, 5), R, 1), "buyer range low"),
        (("vcg", R, R, 0), "lot"),
        (("vcg", R, R, 1, 2), "takes 4 fields"),
        (("k_double_auction", R, R, 1, (3, 2)), "k must be in [0, 1]"),
        (("k_double_auction", R, R, 1, (1, 0)), "k denominator"),
        (("k_double_auction", R, R, 1, 0.5), "(numerator, denominator)"),
        (("posted_price", R, R, 1, 1.5), "price"),
        (("second_best", R, (0, 5), 1), "same range"),
        (("nash", (), 5), "1 to 64 tables"),
        (("nash", (((1,), (0,)),), 5), "sum to zero"),
        (("nash", (((1,), (-1, 0)),), 5), "assets"),
        (("nash", (((True,), (0,)),), 5), "must be an int"),
        (("nash", (((1,), (-1,)),), 0), "max_utility"),
    ],
)
def test_bad_rules_are_refused_by_name(spec: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_rule(spec, 2)
    with pytest.raises(ValueError, match="2 parties"):
        parse_rule(("vcg", R, R, 1), 3)


# -- bargaining solutions ------------------------------------------------------------------
POINTS = [(10, 0), (8, 5), (6, 6), (0, 10), (3, 3)]


def test_textbook_points() -> None:
    d = (0, 0)
    assert choose("nash", POINTS, d) == 1  # 8 * 5 = 40 > 6 * 6 = 36
    assert choose("utilitarian", POINTS, d) == 1  # 13
    assert choose("egalitarian", POINTS, d) == 2  # min 6
    assert choose("kalai_smorodinsky", POINTS, d) == 2  # ideal (10, 10): min ratio 0.6
    assert choose("nash", POINTS, (9, 0)) == 0  # only (10, 0) is individually rational
    assert choose("nash", POINTS, (11, 0)) is None
    assert choose("utilitarian", [(1, 1), (2, 0), (0, 2)], (0, 0)) == 0  # tie: lowest index


def test_kalai_smorodinsky_normalises_by_the_ideal_point() -> None:
    # ideal (4, 20): (2, 10) keeps half of each; egalitarian prefers (4, 4)
    pts = [(4, 4), (2, 10), (0, 20)]
    assert choose("kalai_smorodinsky", pts, (0, 0)) == 1
    assert choose("egalitarian", pts, (0, 0)) == 0


points = st.integers(1, 6).flatmap(
    lambda n: st.lists(st.tuples(*[st.integers(0, 20)] * n), min_size=1, max_size=12).flatmap(
        lambda ps: st.tuples(st.just(ps), st.tuples(*[st.integers(0, 8)] * n))
    )
)


@settings(max_examples=200, deadline=None)
@given(points, st.sampled_from(SOLUTIONS))
def test_every_solution_picks_an_ir_pareto_optimal_point(
    drawn: tuple[list[tuple[int, ...]], tuple[int, ...]], solution: str
) -> None:
    pts, d = drawn
    j = choose(solution, pts, d)
    ir = individually_rational(pts, d)
    if j is None:
        assert not ir
        return
    assert j in ir
    for k in ir:
        better = all(a >= b for a, b in zip(pts[k], pts[j], strict=True)) and pts[k] != pts[j]
        assert not better, (solution, pts[j], pts[k])
    if solution == "utilitarian":
        assert sum(pts[j]) == max(sum(pts[k]) for k in ir)


pairs = st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), min_size=1, max_size=10)


@settings(max_examples=300, deadline=None)
@given(pairs, st.tuples(st.integers(0, 6), st.integers(0, 6)), st.sampled_from(SOLUTIONS))
def test_the_n_party_solutions_agree_with_the_two_player_solver(
    pts: list[tuple[int, int]], d: tuple[int, int], solution: str
) -> None:
    """For two parties the mediator calls ``solutions.solve``; its n-party extension must
    pick the same point (same objectives, same tie-breaks)."""
    mine = choose_among(solution, pts, d)
    if not individually_rational(pts, d):
        assert mine is None and choose(solution, pts, d) is None
        return
    assert mine == solve(solution, pts, d).index == choose(solution, pts, d)  # type: ignore[arg-type]


junk = st.recursive(
    st.one_of(
        st.integers(-(2**100), 2**100),
        st.booleans(),
        st.none(),
        st.text(max_size=6),
        st.binary(max_size=4),
        st.sampled_from(["nash", "vcg", "k_double_auction", "posted_price", "agv"]),
    ),
    lambda inner: st.lists(inner, max_size=5).map(tuple),
    max_leaves=20,
)
specs = st.one_of(
    junk,
    st.tuples(st.sampled_from(["vcg", "agv", "first_best", "second_best"]), junk, junk, junk),
    st.tuples(st.just("k_double_auction"), junk, junk, junk, junk),
    st.tuples(st.sampled_from(SOLUTIONS), junk, junk),
)


@settings(max_examples=400, deadline=None)
@given(specs, st.integers(-1, 10), junk)
def test_hostile_specs_and_reports_are_refused_by_value_error_only(
    spec: Any, parties: int, report: Any
) -> None:
    try:
        parsed = parse_rule(spec, parties)
    except ValueError as exc:
        assert str(exc)
        return
    for i in range(parsed.parties):
        try:
            parsed.check_report(i, report)
        except ValueError:
            continue
        parsed.settle([report] * parsed.parties)  # a checked report always settles
