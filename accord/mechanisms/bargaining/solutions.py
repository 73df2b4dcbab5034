"""Bargaining solutions on a finite set of utility pairs, exactly.

Two players choose one point ``u = (u1, u2)`` from a feasible set ``S``; if they fail to
agree each gets the disagreement point ``d``. The classical answers, each the maximiser
of one objective over the individually rational points (``u1 >= d1`` and ``u2 >= d2``):

* **Nash** (Nash, "The Bargaining Problem", Econometrica 18, 1950): the point maximising
  the Nash product ``(u1 - d1)(u2 - d2)``; the unique rule that is Pareto optimal,
  symmetric, invariant to affine rescaling of either utility and independent of
  irrelevant alternatives.
* **Kalai-Smorodinsky** (Kalai & Smorodinsky, "Other Solutions to Nash's Bargaining
  Problem", Econometrica 43, 1975): with the ideal point ``a_i = max{u_i : u in S, u >= d}``,
  the point that gives each player the same share of its possible gain; on a finite set
  that is the maximiser of ``min_i (u_i - d_i) / (a_i - d_i)`` (a player with
  ``a_i = d_i`` can gain nothing and is left out of the minimum).
* **Utilitarian**: the point maximising ``u1 + u2`` (the joint value).
* **Egalitarian** (Kalai, "Proportional Solutions to Bargaining Situations",
  Econometrica 45, 1977): the point maximising ``min_i (u_i - d_i)``.

Everything here is exact: utilities are ints or :class:`fractions.Fraction` s (a finite
float is taken at its exact binary value), so the argmax is decided without rounding and
the same input gives the same answer on every installation. **Ties** are broken
deterministically: first by a secondary objective (the joint value ``u1 + u2`` for Nash,
Kalai-Smorodinsky and egalitarian, so that a tie never picks a dominated point; the
smaller gain ``min_i (u_i - d_i)`` for utilitarian), then by the lowest index in the
input. :attr:`FiniteSolution.ties` lists every index achieving the objective.

A degenerate set, in which no point gives both players strictly more than ``d``, has a
Nash product of 0 on every individually rational point: the rule then picks the point
with the largest joint value (the tie-break), which is what Nash's axioms leave open.

The Pareto frontier of ``n`` points takes one sort and one scan, ``O(n log n)``
(Kung, Luccio & Preparata, "On Finding the Maxima of a Set of Vectors", JACM 1975).
Convex sets are in :mod:`accord.mechanisms.bargaining.convex`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, TypeAlias

import numpy as np

__all__ = [
    "RULES",
    "FiniteSolution",
    "Pair",
    "Rule",
    "egalitarian",
    "exact_pair",
    "exact_pairs",
    "ideal_point",
    "kalai_smorodinsky",
    "nash",
    "pareto_frontier",
    "solve",
    "utilitarian",
]

Exact: TypeAlias = int | Fraction
"""An exact number: ints stay ints (fast), everything else becomes a Fraction."""
Pair: TypeAlias = tuple[Exact, Exact]
"""A utility pair ``(u1, u2)``, exact."""
Rule: TypeAlias = Literal["nash", "kalai_smorodinsky", "utilitarian", "egalitarian"]
RULES: tuple[Rule, ...] = ("nash", "kalai_smorodinsky", "utilitarian", "egalitarian")

MAX_POINTS = 10_000_000
"""More points than this is refused (a bound on the work one call may ask for)."""


@dataclass(frozen=True, slots=True)
class FiniteSolution:
    """A rule's answer on a finite set: the chosen point and how it was chosen.

    ``index`` is the chosen point's position in the input, ``point`` its utilities,
    ``value`` the rule's objective there (the Nash product, the normalised or plain
    smaller gain, the joint value), ``ties`` every input index with the same objective
    value (ascending), ``ideal`` the ideal point of the individually rational points.
    """

    rule: Rule
    index: int
    point: Pair
    value: Exact
    ties: tuple[int, ...]
    ideal: Pair

    distinct_ties: int = 1
    """How many distinct utility pairs reach the objective's maximum."""

    @property
    def unique(self) -> bool:
        """Whether the maximum is reached at one utility pair only (duplicates count once)."""
        return self.distinct_ties == 1


def _exact(x: object, where: str) -> Exact:
    """``x`` as an exact int or Fraction, or a one-line error naming ``where``."""
    if type(x) is int:
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where} must be an int, Fraction or finite float, got {x!r}")
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Rational):
        return Fraction(int(x.numerator), int(x.denominator))
    f = float(x)
    if not math.isfinite(f):
        raise ValueError(f"{where} must be finite, got {x!r}")
    return Fraction(f)


def exact_pair(p: object, where: str = "point") -> Pair:
    """One utility pair, checked: a sequence (or array) of exactly two real numbers, exact."""
    if isinstance(p, str | bytes) or not isinstance(p, Sequence | np.ndarray) or len(p) != 2:
        raise ValueError(f"{where} must be a pair (u1, u2), got {p!r}")
    return (_exact(p[0], f"{where}[0]"), _exact(p[1], f"{where}[1]"))


def exact_pairs(points: Iterable[object]) -> tuple[Pair, ...]:
    """The points as exact pairs; an empty set, or one of more than MAX_POINTS, is refused."""
    if isinstance(points, str | bytes):
        raise TypeError("points must be a sequence of (u1, u2) pairs, got a string")
    out: list[Pair] = []
    for i, p in enumerate(points):
        if i >= MAX_POINTS:
            raise ValueError(f"more than {MAX_POINTS} points")
        out.append(exact_pair(p, f"points[{i}]"))
    if not out:
        raise ValueError("the feasible set is empty: give at least one point")
    return tuple(out)


def pareto_frontier(points: Iterable[object]) -> tuple[int, ...]:
    """The indices of the Pareto-undominated points, in increasing ``u1`` (decreasing ``u2``).

    A point is dominated if another is at least as good for both players and better for
    one. Of several equal points only the lowest index is kept. One sort by
    ``(-u1, -u2, index)`` and one scan keeping the best ``u2`` seen: ``O(n log n)``.
    """
    pts = exact_pairs(points)
    order = sorted(range(len(pts)), key=lambda i: (-pts[i][0], -pts[i][1], i))
    kept: list[int] = []
    best: Exact | None = None
    for i in order:
        if best is None or pts[i][1] > best:
            kept.append(i)
            best = pts[i][1]
    kept.reverse()
    return tuple(kept)


def _rational(pts: Sequence[Pair], d: Pair) -> list[int]:
    ir = [i for i, (u1, u2) in enumerate(pts) if u1 >= d[0] and u2 >= d[1]]
    if not ir:
        raise ValueError(
            f"no point is individually rational: none gives both players at least the "
            f"disagreement point ({d[0]}, {d[1]})"
        )
    return ir


def ideal_point(points: Iterable[object], disagreement: object = (0, 0)) -> Pair:
    """``a_i = max u_i`` over the individually rational points (Kalai & Smorodinsky 1975)."""
    pts = exact_pairs(points)
    d = exact_pair(disagreement, "disagreement")
    ir = _rational(pts, d)
    return (max(pts[i][0] for i in ir), max(pts[i][1] for i in ir))


Objective: TypeAlias = Callable[[Pair], tuple[Exact, Exact]]


def _objective(rule: Rule, d: Pair, a: Pair) -> Objective:
    """The rule's (objective, tie-break) at a point (module docstring)."""

    def gains(u: Pair) -> tuple[Exact, Exact]:
        return (u[0] - d[0], u[1] - d[1])

    if rule == "nash":
        return lambda u: (gains(u)[0] * gains(u)[1], u[0] + u[1])
    if rule == "utilitarian":
        return lambda u: (u[0] + u[1], min(gains(u)))
    if rule == "egalitarian":
        return lambda u: (min(gains(u)), u[0] + u[1])
    if rule == "kalai_smorodinsky":
        span = (a[0] - d[0], a[1] - d[1])

        def ks(u: Pair) -> tuple[Exact, Exact]:
            g = gains(u)
            shares = [Fraction(g[k]) / span[k] for k in (0, 1) if span[k] > 0]
            return (min(shares) if shares else Fraction(0), u[0] + u[1])

        return ks
    raise ValueError(f"unknown rule {rule!r}: choose one of {RULES}")


def solve(rule: Rule, points: Iterable[object], disagreement: object = (0, 0)) -> FiniteSolution:
    """The point the bargaining ``rule`` picks from the finite set ``points``.

    ``points`` is a sequence of utility pairs (duplicates allowed), ``disagreement`` the
    pair each player gets without agreement. Only individually rational points are
    candidates; if none is, the call fails naming the disagreement point.
    """
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}: choose one of {RULES}")
    pts = exact_pairs(points)
    d = exact_pair(disagreement, "disagreement")
    ir = _rational(pts, d)
    a = (max(pts[i][0] for i in ir), max(pts[i][1] for i in ir))
    key = _objective(rule, d, a)
    scores = {i: key(pts[i]) for i in ir}
    best = max(ir, key=lambda i: (scores[i], -i))
    value = scores[best][0]
    ties = tuple(i for i in ir if scores[i][0] == value)
    return FiniteSolution(
        rule=rule,
        index=best,
        point=pts[best],
        value=value,
        ties=ties,
        ideal=a,
        distinct_ties=len({pts[i] for i in ties}),
    )


def nash(points: Iterable[object], disagreement: object = (0, 0)) -> FiniteSolution:
    """Nash's (1950) solution: the maximiser of ``(u1 - d1)(u2 - d2)``."""
    return solve("nash", points, disagreement)


def kalai_smorodinsky(points: Iterable[object], disagreement: object = (0, 0)) -> FiniteSolution:
    """Kalai & Smorodinsky's (1975) solution: equal shares of the possible gains."""
    return solve("kalai_smorodinsky", points, disagreement)


def utilitarian(points: Iterable[object], disagreement: object = (0, 0)) -> FiniteSolution:
    """The utilitarian solution: the maximiser of ``u1 + u2``."""
    return solve("utilitarian", points, disagreement)


def egalitarian(points: Iterable[object], disagreement: object = (0, 0)) -> FiniteSolution:
    """Kalai's (1977) egalitarian solution: the maximiser of ``min_i (u_i - d_i)``."""
    return solve("egalitarian", points, disagreement)
