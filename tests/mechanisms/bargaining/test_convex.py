"""Bargaining solutions on convex sets: closed forms, hull against curve, hostile input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.bargaining.convex import Frontier, Polygon
from accord.mechanisms.bargaining.solutions import RULES, nash

SIMPLEX = Polygon.hull([(0, 0), (1, 0), (0, 1)])


def test_nash_on_the_simplex_is_the_equal_split() -> None:
    assert SIMPLEX.solve("nash") == pytest.approx((0.5, 0.5), abs=1e-12)
    assert SIMPLEX.solve("kalai_smorodinsky") == pytest.approx((0.5, 0.5), abs=1e-12)
    assert SIMPLEX.solve("egalitarian") == pytest.approx((0.5, 0.5), abs=1e-12)
    # a flat frontier: every point has u1 + u2 = 1; ties go to the smaller u1
    assert SIMPLEX.solve("utilitarian") == (0.0, 1.0)
    # with d = (0.2, 0): each gets d plus half the surplus 0.8 -> (0.6, 0.4)
    assert SIMPLEX.solve("nash", (0.2, 0)) == pytest.approx((0.6, 0.4), abs=1e-12)
    assert SIMPLEX.ideal((0.2, 0)) == pytest.approx((1.0, 0.8))


def test_kalai_smorodinsky_and_nash_differ_on_an_asymmetric_hull() -> None:
    # frontier: (0, 1) -- (1, 0.7). Nash maximises x (1 - 0.3 x), increasing on [0, 1],
    # so it takes the corner (1, 0.7); KS (ideal (1, 1)) and egalitarian solve
    # x = 1 - 0.3 x: x = 1/1.3.
    s = Polygon.hull([(0, 0), (0, 1), (1, 0.7), (1, 0)])
    assert np.allclose(s.vertices, [(0, 1), (1, 0.7)])
    assert s.solve("nash") == pytest.approx((1.0, 0.7), abs=1e-12)
    ks = s.solve("kalai_smorodinsky")
    assert ks == pytest.approx((1 / 1.3, 1 / 1.3), abs=1e-12)
    assert s.solve("egalitarian") == pytest.approx(ks, abs=1e-12)
    assert s.solve("utilitarian") == (1.0, 0.7)


def test_ks_and_egalitarian_differ_when_the_ideal_is_asymmetric() -> None:
    # u1 + u2/2 <= 1: ideal (1, 2); KS gives equal shares: x = 1/2, y = 1;
    # egalitarian gives equal gains: x = y = 2/3. Nash: max x (2 - 2x) -> x = 1/2 (= KS).
    s = Polygon.hull([(0, 0), (1, 0), (0, 2)])
    assert s.solve("kalai_smorodinsky") == pytest.approx((0.5, 1.0), abs=1e-12)
    assert s.solve("egalitarian") == pytest.approx((2 / 3, 2 / 3), abs=1e-12)
    assert s.solve("nash") == pytest.approx((0.5, 1.0), abs=1e-12)


def test_curved_frontier_closed_forms() -> None:
    # g(x) = 1 - x^2: Nash max x (1 - x^2) -> x = 1/sqrt 3, y = 2/3; KS = egalitarian
    # (ideal (1, 1)) solve x = 1 - x^2 -> x = (sqrt 5 - 1)/2; utilitarian x = 1/2.
    f = Frontier(lambda x: 1 - x * x, 0.0, 1.0)
    assert f.solve("nash") == pytest.approx((1 / math.sqrt(3), 2 / 3), abs=1e-8)
    golden = (math.sqrt(5) - 1) / 2
    assert f.solve("kalai_smorodinsky") == pytest.approx((golden, golden), abs=1e-10)
    assert f.solve("egalitarian") == pytest.approx((golden, golden), abs=1e-10)
    assert f.solve("utilitarian") == pytest.approx((0.5, 0.75), abs=1e-8)
    # with d = (0, 0.64): the rational part is x in [0, 0.6]; ideal (0.6, 1)
    assert f.ideal((0, 0.64)) == pytest.approx((0.6, 1.0), abs=1e-10)


def test_a_fine_hull_of_the_curve_agrees_with_the_curve() -> None:
    xs = np.linspace(0, 1, 2001)
    hull = Polygon.hull([(x, 1 - x * x) for x in xs] + [(0.0, 0.0)])
    f = Frontier(lambda x: 1 - x * x, 0.0, 1.0)
    for rule in RULES:
        for d in ((0, 0), (0.1, 0.3)):
            assert hull.solve(rule, d) == pytest.approx(f.solve(rule, d), abs=1e-3)


points = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=25)


@settings(max_examples=200, deadline=None)
@given(points)
def test_hull_frontier_and_nash_beat_the_finite_set(pts: list[tuple[int, int]]) -> None:
    s = Polygon.hull(pts)
    v = s.vertices
    assert np.all(np.diff(v[:, 0]) > 0) and np.all(np.diff(v[:, 1]) < 0)
    # every input point lies under the frontier chain
    for x, y in pts:
        if x <= v[-1, 0]:
            assert y <= np.interp(x, v[:, 0], v[:, 1]) + 1e-9
        else:
            pytest.fail(f"{(x, y)} beyond the frontier's last vertex {v[-1]}")
    n = s.solve("nash")
    finite = nash(pts)
    assert n.u1 * n.u2 >= float(finite.value) - 1e-9  # the hull contains the points
    for rule in RULES:
        p = s.solve(rule)
        assert p.u1 >= -1e-12 and p.u2 >= -1e-12
        # on the chain
        assert p.u2 == pytest.approx(np.interp(p.u1, v[:, 0], v[:, 1]), abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(points, st.floats(0.1, 10), st.floats(0.1, 10))
def test_nash_and_ks_are_scale_invariant(pts: list[tuple[int, int]], a: float, b: float) -> None:
    s = Polygon.hull(pts)
    t = Polygon.hull([(a * x, b * y) for x, y in pts])
    for rule in ("nash", "kalai_smorodinsky"):
        p, q = s.solve(rule), t.solve(rule)  # type: ignore[arg-type]
        assert q == pytest.approx((a * p.u1, b * p.u2), rel=1e-7, abs=1e-7)


def test_hostile_convex_input() -> None:
    with pytest.raises(ValueError, match="empty"):
        Polygon.hull([])
    with pytest.raises(ValueError, match="finite"):
        Polygon.hull([(0, 1), (math.nan, 1)])
    with pytest.raises(ValueError, match="finite"):
        Polygon.hull([(0, 1), (math.inf, 1)])
    with pytest.raises(ValueError, match="individually rational"):
        SIMPLEX.solve("nash", (0.8, 0.8))  # outside the hull, above the frontier
    with pytest.raises(ValueError, match="individually rational"):
        SIMPLEX.solve("nash", (2, -1))
    with pytest.raises(ValueError, match="disagreement"):
        SIMPLEX.solve("nash", (math.nan, 0))
    with pytest.raises(ValueError, match="unknown rule"):
        SIMPLEX.solve("rawls")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-increasing"):
        Frontier(lambda x: x, 0.0, 1.0)
    with pytest.raises(ValueError, match="concave"):
        Frontier(lambda x: (1 - x) ** 2, 0.0, 1.0)
    with pytest.raises(ValueError, match="not finite"):
        Frontier(lambda x: math.nan, 0.0, 1.0)
    with pytest.raises(ValueError, match="must be a number"):
        Frontier(lambda x: "1", 0.0, 1.0)  # type: ignore[arg-type, return-value]
    with pytest.raises(ValueError, match="lo must be below hi"):
        Frontier(lambda x: 1 - x, 1.0, 1.0)
    with pytest.raises(ValueError, match="hi must be a finite"):
        Frontier(lambda x: 1 - x, 0.0, math.inf)
    f = Frontier(lambda x: 1 - x, 0.0, 1.0)
    with pytest.raises(ValueError, match="individually rational"):
        f.solve("nash", (0.6, 0.6))
    # the degenerate point: d on the frontier's end gives that end
    assert f.solve("nash", (1.0, 0.0)) == (1.0, 0.0)
    assert Polygon.hull([(1, 1), (1, 1)]).solve("kalai_smorodinsky") == (1.0, 1.0)


@pytest.mark.parametrize(
    "vertices",
    [
        [(0, 0), (1, math.nan)],  # not finite
        [(0, 1), (1, 0), (0.5, 0.5)],  # u1 not increasing
        [(0, 0), (1, 1)],  # u2 increasing: dominated
        [(0, 2), (1, 0.5), (2, 0)],  # a convex (inward) turn
        [[1, 2, 3]],  # not pairs
        [],  # empty
        "ab",
    ],
)
def test_polygon_refuses_vertices_that_are_no_frontier(vertices: object) -> None:
    """Built directly, not by ``hull``, a Polygon used to take anything (a list failed in
    ``solve`` with a TypeError; an array with NaN or a dominated vertex gave a point)."""
    with pytest.raises(ValueError, match="Polygon vertices must") as exc:
        Polygon(vertices)  # type: ignore[arg-type]
    assert "\n" not in str(exc.value)


def test_polygon_built_directly_from_a_frontier_solves_as_its_hull() -> None:
    direct = Polygon([(0.0, 1.0), (0.5, 0.75), (1.0, 0.0)])  # type: ignore[arg-type]
    assert direct.solve("nash") == Polygon.hull([(0, 1), (0.5, 0.75), (1, 0), (0, 0)]).solve("nash")
