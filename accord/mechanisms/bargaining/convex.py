"""Bargaining solutions on a convex feasible set: a hull of points, or a frontier curve.

The rules are those of :mod:`accord.mechanisms.bargaining.solutions` (Nash 1950,
Kalai & Smorodinsky 1975, utilitarian, Kalai's 1977 egalitarian), now over a convex,
compact set ``S`` and a disagreement point ``d``. Each solution lies on the Pareto
frontier of ``S ∩ {u >= d}``, a decreasing curve ``u2 = g(u1)`` for ``u1`` in
``[x_lo, x_hi]``:

* **Nash**: ``argmax (u1 - d1)(g(u1) - d2)``; unique when the product can be positive.
* **Kalai-Smorodinsky**: the frontier point on the segment from ``d`` to the ideal point
  ``a = (x_hi, g(x_lo))``: ``(u1 - d1)/(a1 - d1) = (g(u1) - d2)/(a2 - d2)``.
* **Egalitarian**: the frontier point on the diagonal ``u1 - d1 = g(u1) - d2`` (or, if
  the diagonal misses the frontier, the end of it that maximises the smaller gain).
* **Utilitarian**: ``argmax u1 + g(u1)``.

Two ways to give ``S``:

* :class:`Polygon`, the convex hull of finitely many points. Its frontier is piecewise
  linear: the upper-right chain of the hull (the undominated points of the set, then
  their upper concave envelope, Andrew's monotone chain, "Another efficient algorithm
  for convex hulls in two dimensions", IPL 9, 1979). Each solution is then a closed form
  per segment: along ``P + s (Q - P)`` the Nash product is a concave quadratic in ``s``,
  maximised at ``s* = -(Δx B + Δy A) / (2 Δx Δy)`` (``A = Px - d1``, ``B = Py - d2``),
  clipped to ``[0, 1]``; KS and egalitarian points are where a linear function changes
  sign; the utilitarian point is a vertex (ties: the one with the smaller ``u1``).
* :class:`Frontier`, a decreasing concave function ``g`` on ``[lo, hi]``, solved with
  SciPy: ``minimize_scalar`` (bounded) for Nash and utilitarian, ``brentq`` for KS and
  egalitarian (to ``xtol = 1e-12``).

These are floats: they serve analysis off the device. Exact answers on a finite set are
in :mod:`.solutions`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import optimize

from accord.mechanisms.bargaining.solutions import RULES, Rule, exact_pair, exact_pairs

__all__ = ["Frontier", "Point", "Polygon"]

Array = npt.NDArray[np.float64]
TOL = 1e-12


class Point(NamedTuple):
    """A utility pair ``(u1, u2)``."""

    u1: float
    u2: float


def _disagreement(d: object) -> tuple[float, float]:
    a, b = exact_pair(d, "disagreement")
    return (float(a), float(b))


def _no_rational(d: tuple[float, float]) -> ValueError:
    return ValueError(
        f"no point of the set is individually rational: none gives both players at least "
        f"the disagreement point ({d[0]:g}, {d[1]:g})"
    )


@dataclass(frozen=True)
class Polygon:
    """The convex hull of finitely many utility pairs (``vertices``: its Pareto frontier).

    ``vertices`` runs in increasing ``u1`` and decreasing ``u2``; one vertex means the
    hull has a single undominated point.
    """

    vertices: Array

    def __post_init__(self) -> None:
        """Refuse vertices that are not a hull's frontier (build one with :meth:`hull`)."""
        try:
            v = np.array(self.vertices, dtype=np.float64)
        except (TypeError, ValueError):
            v = np.empty((0, 0))
        if v.ndim != 2 or v.shape[0] < 1 or v.shape[1] != 2 or not np.all(np.isfinite(v)):
            raise ValueError(
                "Polygon vertices must be a non-empty sequence of finite (u1, u2) pairs; "
                "build one from any points with Polygon.hull"
            )
        dx, dy = np.diff(v[:, 0]), np.diff(v[:, 1])
        turns = dx[:-1] * dy[1:] - dy[:-1] * dx[1:]
        if np.any(dx <= 0) or np.any(dy >= 0) or np.any(turns >= 0):
            raise ValueError(
                "Polygon vertices must run in increasing u1 and decreasing u2 along a concave "
                "chain (a hull's frontier); build one from any points with Polygon.hull"
            )
        object.__setattr__(self, "vertices", v)

    @classmethod
    def hull(cls, points: Iterable[object]) -> Polygon:
        """The hull of ``points`` (finite numbers; NaN, infinities and empty sets refused)."""
        pts = np.array([(float(a), float(b)) for a, b in exact_pairs(points)])
        order = np.lexsort((pts[:, 1], pts[:, 0]))  # u1 ascending, then u2 ascending
        pts = pts[order]
        # undominated points, scanning from the right: keep a point if its u2 beats all
        # the points with a larger u1
        keep: list[int] = []
        best = -math.inf
        for i in range(len(pts) - 1, -1, -1):
            if pts[i, 1] > best:
                keep.append(i)
                best = pts[i, 1]
        front = pts[keep[::-1]]
        chain: list[Array] = []  # the upper concave envelope (clockwise turns only)
        for p in front:
            while len(chain) >= 2:
                o, a = chain[-2], chain[-1]
                cross = (a[0] - o[0]) * (p[1] - o[1]) - (a[1] - o[1]) * (p[0] - o[0])
                if cross < 0:
                    break
                chain.pop()
            chain.append(p)
        return cls(np.array(chain, dtype=np.float64))

    # -- the frontier inside the rational region --------------------------------------------

    def _clipped(self, d: tuple[float, float]) -> Array:
        """The frontier's vertices restricted to ``u >= d`` (cut where it crosses)."""
        v = self.vertices
        x, y = v[:, 0], v[:, 1]
        if len(v) == 1:
            if x[0] >= d[0] and y[0] >= d[1]:
                return v
            raise _no_rational(d)
        if x[-1] < d[0] or y[0] < d[1]:
            raise _no_rational(d)
        lo = max(d[0], x[0])
        # y decreases along x: the x where y falls to d2 (or the end)
        hi = x[-1] if y[-1] >= d[1] else float(np.interp(d[1], y[::-1], x[::-1]))
        if lo > hi:
            raise _no_rational(d)
        inside = v[(x > lo) & (x < hi)]
        ends = np.array([[lo, self._y_at(lo)], [hi, self._y_at(hi)]])
        out: Array = np.vstack([ends[:1], inside, ends[1:]])
        return out

    def _y_at(self, x: float) -> float:
        v = self.vertices
        # at a vertical step (equal u1) the frontier takes the larger u2, which is first
        return float(np.interp(x, v[:, 0], v[:, 1], left=v[0, 1], right=v[-1, 1]))

    def ideal(self, disagreement: object = (0, 0)) -> Point:
        """The ideal point of the rational part of the hull."""
        c = self._clipped(_disagreement(disagreement))
        return Point(float(c[-1, 0]), float(c[0, 1]))

    def solve(self, rule: Rule, disagreement: object = (0, 0)) -> Point:
        """The point ``rule`` picks (module docstring)."""
        if rule not in RULES:
            raise ValueError(f"unknown rule {rule!r}: choose one of {RULES}")
        d = _disagreement(disagreement)
        c = self._clipped(d)
        if len(c) == 1 or np.allclose(c[0], c[-1], rtol=0, atol=TOL):
            return Point(float(c[0, 0]), float(c[0, 1]))
        if rule == "utilitarian":
            k = int(np.argmax(c[:, 0] + c[:, 1]))
            return Point(float(c[k, 0]), float(c[k, 1]))
        if rule == "nash":
            return _nash_on_chain(c, d)
        if rule == "egalitarian":
            return _crossing(c, d, (1.0, 1.0))
        a = (float(c[-1, 0]), float(c[0, 1]))
        spans = (a[0] - d[0], a[1] - d[1])
        w = tuple(1.0 / s if s > TOL else 0.0 for s in spans)
        return _crossing(c, d, (w[0], w[1]))


def _nash_on_chain(c: Array, d: tuple[float, float]) -> Point:
    p, q = c[:-1], c[1:]
    dx, dy = q[:, 0] - p[:, 0], q[:, 1] - p[:, 1]
    a, b = p[:, 0] - d[0], p[:, 1] - d[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(dx * dy < 0, -(dx * b + dy * a) / (2 * dx * dy), 0.0)
    s = np.clip(np.nan_to_num(s, nan=0.0), 0.0, 1.0)
    cand = np.vstack([p + s[:, None] * (q - p), c[-1:]])
    prod = (cand[:, 0] - d[0]) * (cand[:, 1] - d[1])
    k = int(np.argmax(prod))
    return Point(float(cand[k, 0]), float(cand[k, 1]))


def _crossing(c: Array, d: tuple[float, float], w: tuple[float, float]) -> Point:
    """The chain's point maximising ``min(w1 (u1 - d1), w2 (u2 - d2))`` (weights >= 0).

    ``h = w1 (u1 - d1) - w2 (u2 - d2)`` increases along the chain; the maximum is where
    ``h`` crosses 0, or the end of the chain nearest to it.
    """
    if w[0] == 0.0 or w[1] == 0.0:  # one player can gain nothing: maximise the other
        k = 0 if w[0] == 0.0 else len(c) - 1
        return Point(float(c[k, 0]), float(c[k, 1]))
    h = w[0] * (c[:, 0] - d[0]) - w[1] * (c[:, 1] - d[1])
    if h[0] >= 0:
        return Point(float(c[0, 0]), float(c[0, 1]))
    if h[-1] <= 0:
        return Point(float(c[-1, 0]), float(c[-1, 1]))
    k = int(np.argmax(h >= 0))  # first vertex at or past the crossing
    s = -h[k - 1] / (h[k] - h[k - 1])
    x = c[k - 1] + s * (c[k] - c[k - 1])
    return Point(float(x[0]), float(x[1]))


@dataclass(frozen=True)
class Frontier:
    """The set under a decreasing concave frontier ``u2 = g(u1)``, ``u1`` in ``[lo, hi]``.

    ``g`` is checked on a grid of 65 points: finite, non-increasing and concave (within
    a relative 1e-9); a function that fails is refused naming the check.
    """

    g: Callable[[float], float]
    lo: float
    hi: float

    def __post_init__(self) -> None:
        for name in ("lo", "hi"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValueError(f"{name} must be a finite number, got {v!r}")
        if not self.lo < self.hi:
            raise ValueError(f"lo must be below hi, got [{self.lo}, {self.hi}]")
        xs = np.linspace(self.lo, self.hi, 65)
        ys = np.array([self._g(float(x)) for x in xs])
        scale = 1.0 + float(np.max(np.abs(ys)))
        if np.any(np.diff(ys) > 1e-9 * scale):
            raise ValueError("the frontier g must be non-increasing on [lo, hi]")
        if np.any(ys[1:-1] < (ys[:-2] + ys[2:]) / 2 - 1e-9 * scale):
            raise ValueError("the frontier g must be concave on [lo, hi]")

    def _g(self, x: float) -> float:
        y = self.g(x)
        if isinstance(y, bool) or not isinstance(y, int | float | np.floating):
            raise ValueError(f"g({x:g}) must be a number, got {y!r}")
        if not math.isfinite(y):
            raise ValueError(f"g({x:g}) is not finite: {y!r}")
        return float(y)

    def _range(self, d: tuple[float, float]) -> tuple[float, float]:
        lo = max(d[0], self.lo)
        if lo > self.hi or self._g(lo) < d[1]:
            raise _no_rational(d)
        if self._g(self.hi) >= d[1]:
            return lo, self.hi
        hi = optimize.brentq(lambda x: self._g(x) - d[1], lo, self.hi, xtol=TOL)
        return lo, float(hi)

    def ideal(self, disagreement: object = (0, 0)) -> Point:
        """The ideal point of the rational part of the set."""
        d = _disagreement(disagreement)
        lo, hi = self._range(d)
        return Point(hi, self._g(lo))

    def solve(self, rule: Rule, disagreement: object = (0, 0)) -> Point:
        """The point ``rule`` picks (module docstring)."""
        if rule not in RULES:
            raise ValueError(f"unknown rule {rule!r}: choose one of {RULES}")
        d = _disagreement(disagreement)
        lo, hi = self._range(d)
        if hi - lo <= TOL:
            return Point(lo, self._g(lo))
        if rule in ("nash", "utilitarian"):

            def f(x: float) -> float:
                y = self._g(x)
                return -(x - d[0]) * (y - d[1]) if rule == "nash" else -(x + y)

            res = optimize.minimize_scalar(
                f, bounds=(lo, hi), method="bounded", options={"xatol": TOL}
            )
            x = min(max(float(res.x), lo), hi)
            return Point(x, self._g(x))
        if rule == "egalitarian":
            w = (1.0, 1.0)
        else:
            spans = (hi - d[0], self._g(lo) - d[1])
            w = (
                1.0 / spans[0] if spans[0] > TOL else 0.0,
                1.0 / spans[1] if spans[1] > TOL else 0.0,
            )
        if w[0] == 0.0 or w[1] == 0.0:
            x = lo if w[0] == 0.0 else hi
            return Point(x, self._g(x))

        def h(x: float) -> float:
            return w[0] * (x - d[0]) - w[1] * (self._g(x) - d[1])

        if h(lo) >= 0:
            return Point(lo, self._g(lo))
        if h(hi) <= 0:
            return Point(hi, self._g(hi))
        x = float(optimize.brentq(h, lo, hi, xtol=TOL))
        return Point(x, self._g(x))
