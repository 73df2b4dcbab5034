"""Bargaining solutions on finite sets: closed forms, tie-breaks, the frontier, hostile input."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.bargaining.solutions import (
    RULES,
    egalitarian,
    ideal_point,
    kalai_smorodinsky,
    nash,
    pareto_frontier,
    solve,
    utilitarian,
)


def test_nash_on_the_integer_simplex_is_the_equal_split() -> None:
    # {(i, 10 - i)}: the Nash product i (10 - i) is largest at the equal split.
    pts = [(i, 10 - i) for i in range(11)]
    sol = nash(pts)
    assert sol.point == (5, 5) and sol.index == 5 and sol.value == 25 and sol.unique
    # every rule agrees on a symmetric linear set
    for rule in RULES:
        assert solve(rule, pts).point == (5, 5) or rule == "utilitarian"
    # utilitarian: every point has u1 + u2 = 10, so the tie-break (the larger smaller
    # gain) picks the equal split too
    assert utilitarian(pts).point == (5, 5) and len(utilitarian(pts).ties) == 11


def test_odd_simplex_ties_go_to_the_lowest_index() -> None:
    pts = [(i, 7 - i) for i in range(8)]
    sol = nash(pts)
    assert sol.ties == (3, 4) and sol.index == 3 and sol.point == (3, 4)
    assert not sol.unique and sol.distinct_ties == 2
    rev = nash(list(reversed(pts)))
    assert rev.point == (4, 3)  # the lowest index again: the order is the tie-break


def test_disagreement_point_shifts_nash_as_the_closed_form_says() -> None:
    # On u1 + u2 = 12 with d = (2, 4): Nash gives each its d plus half the surplus 6.
    pts = [(i, 12 - i) for i in range(13)]
    assert nash(pts, (2, 4)).point == (5, 7)
    assert egalitarian(pts, (2, 4)).point == (5, 7)


def test_kalai_smorodinsky_and_nash_differ_on_an_asymmetric_set() -> None:
    # Points on the concave frontier u2 = 10 - u1²/10, u1 = 0, 0.1, ..., 10. Nash
    # maximises u1 (10 - u1²/10): u1 = sqrt(100/3) = 5.7735 -> the grid point 5.8. KS
    # (ideal (10, 10)) equalises u1/10 = u2/10: u1² + 10 u1 - 100 = 0, u1 = 5 (sqrt 5 - 1)
    # = 6.1803 -> the grid point 6.2 (min share 0.6156 against 0.61 at 6.1).
    pts = [(F(k, 10), 10 - F(k, 10) ** 2 / 10) for k in range(101)]
    n, ks = nash(pts), kalai_smorodinsky(pts)
    assert n.point[0] == F(58, 10)
    assert ks.point[0] == F(62, 10)
    assert ks.ideal == (10, 10)
    assert n.point != ks.point
    assert utilitarian(pts).point == (5, F(75, 10))  # max u1 + 10 - u1²/10 at u1 = 5


def test_kalai_smorodinsky_rescales_by_the_ideal_point() -> None:
    # Player 2's utilities are 3x player 1's on the line: KS gives equal *shares*.
    pts = [(i, 3 * (6 - i)) for i in range(7)]
    ks = kalai_smorodinsky(pts)
    assert ks.ideal == (6, 18) and ks.point == (3, 9) and ks.value == F(1, 2)
    assert type(ks.value) is F  # a share of ints is a Fraction, never a float
    # egalitarian equalises raw gains instead: u1 = 3 (6 - u1) -> 4.5, not a point;
    # max min(u1, 18 - 3 u1) over integers: u1 = 4 gives min(4, 6) = 4, u1 = 5 gives 3.
    assert egalitarian(pts).point == (4, 6)


def test_egalitarian_tie_prefers_the_undominated_point() -> None:
    pts = [(3, 5), (3, 7), (2, 9)]
    sol = egalitarian(pts)
    assert sol.value == 3 and sol.ties == (0, 1) and sol.point == (3, 7)


def test_points_outside_the_rational_region_are_not_candidates() -> None:
    pts = [(10, 0), (0, 10), (4, 4)]
    assert utilitarian(pts, (1, 1)).point == (4, 4)  # the sum 10 is not rational for d
    assert ideal_point(pts, (1, 1)) == (4, 4)


def test_degenerate_set_picks_the_largest_joint_value() -> None:
    sol = nash([(0, 0), (5, 0), (0, 3)])
    assert sol.value == 0 and sol.point == (5, 0) and len(sol.ties) == 3


def test_exact_fractions_decide_what_floats_would_not() -> None:
    # (1/3) * 3 == 1 exactly, and 0.1 is taken at its binary value, not as 1/10.
    third = F(1, 3)
    sol = nash([(third, 3), (F(1), F(1))])
    assert sol.ties == (0, 1) and sol.index == 0
    # With floats 0.1 * 10 rounds to 1.0; exactly, Fraction(0.1) * 10 > 1.
    sol = nash([(0.1, 10), (1, 1)])
    assert sol.index == 0 and sol.value == F(0.1) * 10 > 1


def test_pareto_frontier_known_case_and_duplicates() -> None:
    pts = [(1, 5), (2, 2), (3, 4), (3, 4), (5, 1), (0, 5), (5, 0), (4, 4)]
    # (1,5) beats (0,5); (4,4) beats (3,4) twice; (5,1) beats (5,0)
    assert pareto_frontier(pts) == (0, 7, 4)
    assert pareto_frontier([(2, 2), (2, 2)]) == (0,)


def _dominates(a: tuple[F, F], b: tuple[F, F]) -> bool:
    return a[0] >= b[0] and a[1] >= b[1] and a != b


coords = st.one_of(
    st.integers(-50, 50), st.fractions(min_value=-50, max_value=50, max_denominator=12)
)
point_sets = st.lists(st.tuples(coords, coords), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(point_sets)
def test_frontier_is_exactly_the_undominated_points(pts: list[tuple[F, F]]) -> None:
    front = pareto_frontier(pts)
    ex = [(F(a), F(b)) for a, b in pts]
    undominated = {p for p in ex if not any(_dominates(q, p) for q in ex)}
    assert {ex[i] for i in front} == undominated
    assert len(front) == len(undominated)  # one index per pair
    xs = [ex[i][0] for i in front]
    ys = [ex[i][1] for i in front]
    assert xs == sorted(xs) and ys == sorted(ys, reverse=True)
    for i in front:  # the kept index is the first of its equals
        assert ex.index(ex[i]) == i


@settings(max_examples=300, deadline=None)
@given(point_sets, st.tuples(st.integers(-60, 60), st.integers(-60, 60)))
def test_each_rule_is_the_brute_force_argmax(pts: list[tuple[F, F]], d: tuple[int, int]) -> None:
    ex = [(F(a), F(b)) for a, b in pts]
    ir = [i for i, p in enumerate(ex) if p[0] >= d[0] and p[1] >= d[1]]
    if not ir:
        with pytest.raises(ValueError, match="individually rational"):
            nash(pts, d)
        return
    a = (max(ex[i][0] for i in ir), max(ex[i][1] for i in ir))
    objectives = {
        "nash": lambda p: (p[0] - d[0]) * (p[1] - d[1]),
        "utilitarian": lambda p: p[0] + p[1],
        "egalitarian": lambda p: min(p[0] - d[0], p[1] - d[1]),
        "kalai_smorodinsky": lambda p: min(
            [(p[k] - d[k]) / (a[k] - d[k]) for k in (0, 1) if a[k] > d[k]] or [F(0)]
        ),
    }
    for rule in RULES:
        sol = solve(rule, pts, d)
        f = objectives[rule]
        best = max(f(ex[i]) for i in ir)
        assert sol.value == best == f(sol.point)
        assert sol.ties == tuple(i for i in ir if f(ex[i]) == best)
        assert sol.index in sol.ties and sol.point == ex[sol.index]
        if rule != "utilitarian" and best > 0:
            # with a positive objective the choice is Pareto optimal among rational points
            assert not any(_dominates(ex[i], sol.point) for i in ir)


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=3),
    st.just(math.nan),
    st.just(math.inf),
    st.just(-math.inf),
    st.lists(st.integers(), max_size=3),
    st.tuples(st.integers()),
    st.tuples(st.integers(), st.integers(), st.integers()),
    st.complex_numbers(allow_nan=False, allow_infinity=False),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.tuples(coords, coords), junk), min_size=1, max_size=6))
def test_hostile_points_are_refused_by_name(pts: list[object]) -> None:
    good = all(
        isinstance(p, tuple | list)
        and len(p) == 2
        and all(isinstance(x, int | F) and not isinstance(x, bool) for x in p)
        for p in pts
    )
    if good:
        assert pareto_frontier(pts)
        return
    with pytest.raises((ValueError, TypeError), match=r"points\[\d+\]"):
        pareto_frontier(pts)
    with pytest.raises((ValueError, TypeError), match=r"points\[\d+\]"):
        nash(pts)


def test_hostile_sets_and_disagreement_points() -> None:
    with pytest.raises(ValueError, match="empty"):
        nash([])
    with pytest.raises(ValueError, match="empty"):
        pareto_frontier(iter(()))
    with pytest.raises(TypeError, match="string"):
        nash("12")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"points\[1\]\[0\] must be finite"):
        nash([(1, 2), (math.nan, 1)])
    with pytest.raises(ValueError, match=r"disagreement\[1\] must be finite"):
        nash([(1, 2)], (0, math.nan))
    with pytest.raises(ValueError, match="disagreement must be a pair"):
        nash([(1, 2)], (0, 0, 0))
    with pytest.raises(ValueError, match=r"disagreement point \(5, 0\)"):
        nash([(1, 2), (3, 1)], (5, 0))  # outside: nobody can give player 1 five
    with pytest.raises(ValueError, match="unknown rule"):
        solve("rawls", [(1, 1)])  # type: ignore[arg-type]
    assert nash([(1, 1)] * 5).ties == (0, 1, 2, 3, 4) and nash([(1, 1)] * 5).unique


def test_every_rule_on_every_small_grid_is_rational() -> None:
    # all subsets of a 3x3 grid: each rule's point is feasible and rational for d = (0, 0)
    grid = list(itertools.product(range(3), range(3)))
    for r in range(1, 4):
        for subset in itertools.combinations(grid, r):
            for rule in RULES:
                sol = solve(rule, subset)
                assert sol.point in subset and min(sol.point) >= 0


def test_numpy_arrays_are_read_exactly() -> None:
    import numpy as np

    pts = np.array([[0, 10], [4, 6], [5, 5], [10, 0]], dtype=np.int64)
    sol = nash(pts)
    assert sol.point == (5, 5) and type(sol.point[0]) is int
    assert pareto_frontier(pts.astype(np.float64)) == (0, 1, 2, 3)
    assert nash(np.array([[0.5, 0.5]])).value == F(1, 4)
