"""A bilateral mechanism's expected outcome, by quadrature over its trade region.

For a rule bound to its priors (:mod:`.bilateral_rule`), with ``x(v, c)`` the trade
indicator under the evaluated play, ``p_B`` what the buyer pays and ``p_S`` what the
seller gets::

    gains        = E[(v - c) x]                 p_trade = E[x]
    efficiency   = gains / E[(v - c)⁺]          (the first best; 1 if that is 0)
    deficit      = E[p_S - p_B]                 (> 0: the mechanism pays out)
    ir_violation = E[(-u_B)⁺ + (-u_S)⁺],   u_B = v x - p_B,  u_S = p_S - c x

``ir_violation`` is the expected amount by which a draw leaves a participant worse off
than staying out (ex-post IR shortfall); a mechanism that is only interim IR (the
second-best) can have some, and one that is not even interim IR (AGV) has more.

**How.** Every rule trades on a monotone region ``c ≤ t(v)`` (:meth:`Rule.threshold`).
The integrals over ``c`` are then closed in the seller's prior::

    E[(v - c) x | v] = v F_S(t) - M_S(t),   E[x | v] = F_S(t),   t = clip(t(v)),

and the outer integral over ``v`` runs with ``scipy.integrate.quad`` on the pieces
between the points where the integrand kinks (support ends, density kinks, where ``t(v)``
enters or leaves the seller's support, a posted price): integrating up to the region's
boundaries, not over an indicator, is what gives 1e-15 rather than 1e-4. ``deficit``
(only VCG is not balanced by construction) and ``ir_violation`` have no closed inner
integral: :mod:`.bilateral_nested` integrates them, vectorised, by Gauss–Legendre on the
smooth pieces of ``c`` (split at the boundary, the kinks and the utilities' roots) under
an adaptive Gauss–Legendre over ``v`` split where a root enters or leaves a piece.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import integrate, optimize

from accord.mechanisms.bargaining.bilateral import bind
from accord.mechanisms.bargaining.bilateral_nested import nested_integral, sign_of
from accord.mechanisms.bargaining.bilateral_rule import Rule
from accord.mechanisms.bargaining.priors import FloatArray

EPSABS = 1e-13
"""Absolute tolerance asked of each outer ``quad`` piece."""
EPSREL = 1e-12


@dataclass(frozen=True)
class Outcome:
    """Expected (or, from :func:`~.bilateral_sim.simulate`, sampled) figures of a mechanism."""

    gains: float
    p_trade: float
    efficiency: float
    deficit: float
    ir_violation: float


def expected_outcome(mechanism: object, buyer_prior: object, seller_prior: object) -> Outcome:
    """The expected outcome of ``mechanism`` under the priors, by quadrature (module doc).

    ValueError if the mechanism or a prior is not one, or if the mechanism has no
    evaluated play under these priors (the double auction off uniform priors)."""
    return rule_outcome(bind(mechanism, buyer_prior, seller_prior))


def _outer(rule: Rule, fn: Callable[[float], float], points: tuple[float, ...]) -> float:
    edges = (rule.buyer.low, *points, rule.buyer.high)
    total = []
    for a, b in itertools.pairwise(edges):
        value, _ = integrate.quad(fn, a, b, epsabs=EPSABS, epsrel=EPSREL, limit=200)
        total.append(value)
    return math.fsum(total)


def first_best_gains(rule: Rule) -> float:
    """``E[(v - c)⁺]`` under the rule's priors."""
    b, s = rule.buyer, rule.seller

    def fn(v: float) -> float:
        t = min(max(v, s.low), s.high)
        return float(b.pdf(v) * (v * s.cdf(t) - s.partial_mean(t)))

    pts = tuple(sorted({p for p in (s.low, s.high, *b.kinks, *s.kinks) if b.low < p < b.high}))
    return _outer(rule, fn, pts)


def rule_outcome(rule: Rule) -> Outcome:
    """:func:`expected_outcome` of an already bound rule."""
    b, s = rule.buyer, rule.seller
    points = rule.outer_points()

    def edge(v: float) -> float:
        return min(max(rule.threshold(v), s.low), s.high)

    def gains(v: float) -> float:
        t = edge(v)
        return float(b.pdf(v) * (v * s.cdf(t) - s.partial_mean(t)))

    def trade(v: float) -> float:
        return float(b.pdf(v) * s.cdf(edge(v)))

    total = _outer(rule, gains, points)
    best = first_best_gains(rule)
    deficit = 0.0
    if not rule.budget_balanced:
        deficit = nested_integral(rule, "deficit", points)
    kinks = tuple(sorted({*points, *_shortfall_kinks(rule)}))
    shortfall = nested_integral(rule, "shortfall", kinks)
    return Outcome(
        gains=total,
        p_trade=_outer(rule, trade, points),
        efficiency=total / best if best > 0.0 else 1.0,
        deficit=deficit,
        ir_violation=shortfall,
    )


OUTER_SCAN = 257
"""Values of ``v`` scanned for the outer kinks of the IR-shortfall integrand."""


def _shortfall_kinks(rule: Rule) -> list[float]:
    """Values of ``v`` where the IR-shortfall integrand over ``v`` kinks: where ``u_B`` or
    ``u_S`` at an end of an inner piece (a support end, or either side of the trade
    boundary) changes sign, so that a root of the inner integrand enters or leaves a
    piece. Found between :data:`OUTER_SCAN` scanned values by Brent's method."""
    b, s = rule.buyer, rule.seller
    vs = np.linspace(b.low, b.high, OUTER_SCAN)
    # Either side of the trade boundary is probed a hair inside, where the rule's own
    # comparison (bid ≥ ask, virtual values) cannot round the other way.
    hair = 1e-13 * max(1.0, s.high - s.low)
    bound = np.array([rule.threshold(float(x)) for x in vs])
    edge_fns: list[Callable[[FloatArray], FloatArray]] = [
        lambda v: np.full(v.shape, s.low),
        lambda v: np.full(v.shape, s.high),
        lambda v: np.clip(_bounds(rule, v, bound, vs) - hair, s.low, s.high),
        lambda v: np.clip(_bounds(rule, v, bound, vs) + hair, s.low, s.high),
    ]
    found: list[float] = []
    for edge in edge_fns:
        for which in (0, 1):

            def u(
                v: FloatArray, edge: Callable[[FloatArray], FloatArray] = edge, which: int = which
            ) -> FloatArray:
                out = rule.outcome(v, edge(v))
                c = edge(v)
                return (
                    (v * out.trade - out.buyer_pays)
                    if which == 0
                    else (out.seller_gets - c * out.trade)
                )

            sign = sign_of(u(vs), rule)
            for i in np.nonzero(sign[:-1] * sign[1:] < 0)[0]:
                a, c = float(vs[i]), float(vs[i + 1])
                found.append(
                    float(optimize.brentq(lambda x: float(u(np.array([x]))[0]), a, c, xtol=1e-13))
                )
    return [x for x in found if b.low < x < b.high]


def _bounds(rule: Rule, v: FloatArray, cached: FloatArray, at: FloatArray) -> FloatArray:
    """``rule.threshold`` at each ``v`` (read from ``cached`` when ``v`` is ``at``)."""
    if v.shape == at.shape and np.array_equal(v, at):
        return cached
    return np.array([rule.threshold(float(x)) for x in v])
