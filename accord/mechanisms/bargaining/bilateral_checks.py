"""Does a bound mechanism satisfy IC, IR and BB? Checked numerically on a type grid.

Myerson & Satterthwaite's bound concerns mechanisms that are (Bayesian) incentive
compatible, interim individually rational and budget balanced. This module measures how
far a rule is from each, under its evaluated play:

* **IC**: the largest gain any type on the grid gets by sending another message than its
  play's, against the other side's play. A buyer of value ``v`` sending ``m`` expects
  ``v Q_B(m) - P_B(m)``, with ``Q_B(m)`` its trade probability and ``P_B(m)`` its
  expected payment, both integrals over the seller's cost (up to the trade boundary
  ``ask_threshold(m)``, by Gauss–Legendre on the smooth pieces); so every type is
  checked against every message at the price of one pair of integrals per message. The
  messages tried are a grid over :meth:`Rule.message_ranges` plus every type's own.
* **IR**: the largest interim shortfall ``max(0, -U(type))`` over the grid.
* **BB**: the largest ``|seller_gets - buyer_pays|`` over the grid's pairs of types
  (ex post: the budget must balance draw by draw, not only on average).

:meth:`Properties.satisfied` says whether all three hold within a tolerance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from accord.mechanisms.bargaining.bilateral import bind
from accord.mechanisms.bargaining.bilateral_rule import Rule
from accord.mechanisms.bargaining.priors import FloatArray, Prior

TYPE_GRID = 33
"""Types per side checked."""
MESSAGE_GRID = 129
"""Deviation messages per side tried (besides every checked type's own)."""
Terms = Callable[[Rule, float], tuple[float, float]]
NODES = 24
"""Gauss–Legendre nodes per smooth piece of an interim integral."""


@dataclass(frozen=True)
class Properties:
    """Distances from IC, interim IR and ex-post BB (0 where a property holds)."""

    ic_gain: float
    ir_shortfall: float
    bb_gap: float

    def satisfied(self, tol: float = 1e-9) -> bool:
        """True when IC, IR and BB all hold within ``tol``."""
        return max(self.ic_gain, self.ir_shortfall, self.bb_gap) <= tol


def check_properties(mechanism: object, buyer_prior: object, seller_prior: object) -> Properties:
    """:class:`Properties` of ``mechanism`` under the priors (module docstring)."""
    return rule_properties(bind(mechanism, buyer_prior, seller_prior))


def _gauss(edges: list[float]) -> tuple[FloatArray, FloatArray]:
    gx, gw = np.polynomial.legendre.leggauss(NODES)
    lo, hi = np.array(edges[:-1])[:, None], np.array(edges[1:])[:, None]
    nodes = 0.5 * (hi - lo) * gx[None, :] + 0.5 * (hi + lo)
    weights = 0.5 * (hi - lo) * gw[None, :]
    return nodes.ravel(), weights.ravel()


def _edges(prior: Prior, cuts: set[float]) -> list[float]:
    inner = sorted(x for x in cuts if prior.low < x < prior.high and np.isfinite(x))
    return [prior.low, *inner, prior.high]


def _buyer_terms(rule: Rule, m: float) -> tuple[float, float]:
    """``(Q_B(m), P_B(m))`` for a buyer message ``m`` against the seller's play."""
    b, s = rule.buyer, rule.seller
    cuts = {rule.ask_threshold(m), m, b.low, b.high, *s.kinks, *rule.cost_kinks()}
    c, w = _gauss(_edges(s, cuts))
    out = rule.settle(np.full(c.shape, m), rule.ask(c))
    dens = s.pdf(c) * w
    return float(out.trade @ dens), float(out.buyer_pays @ dens)


def _seller_terms(rule: Rule, m: float) -> tuple[float, float]:
    """``(Q_S(m), R_S(m))`` for a seller message ``m`` against the buyer's play."""
    b, s = rule.buyer, rule.seller
    cuts = {rule.bid_threshold(m), m, s.low, s.high, *b.kinks, *rule.outer_points()}
    v, w = _gauss(_edges(b, cuts))
    out = rule.settle(rule.bid(v), np.full(v.shape, m))
    dens = b.pdf(v) * w
    return float(out.trade @ dens), float(out.seller_gets @ dens)


def rule_properties(rule: Rule) -> Properties:
    """:func:`check_properties` of an already bound rule."""
    b, s = rule.buyer, rule.seller
    vs = np.linspace(b.low, b.high, TYPE_GRID)
    cs = np.linspace(s.low, s.high, TYPE_GRID)
    (bl, bh), (sl, sh) = rule.message_ranges()
    own_b, own_s = rule.bid(vs), rule.ask(cs)

    def table(messages: FloatArray, terms: Terms) -> tuple[FloatArray, FloatArray]:
        pairs = [terms(rule, float(m)) for m in messages]
        return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])

    dev_b = np.linspace(bl, bh, MESSAGE_GRID)
    q_dev, p_dev = table(dev_b, _buyer_terms)
    q_own, p_own = table(own_b, _buyer_terms)
    u_own_b = vs * q_own - p_own
    u_dev_b = vs[:, None] * q_dev[None, :] - p_dev[None, :]
    gain_b = float(np.max(np.max(u_dev_b, axis=1) - u_own_b))

    dev_s = np.linspace(sl, sh, MESSAGE_GRID)
    qs_dev, r_dev = table(dev_s, _seller_terms)
    qs_own, r_own = table(own_s, _seller_terms)
    u_own_s = r_own - cs * qs_own
    u_dev_s = r_dev[None, :] - cs[:, None] * qs_dev[None, :]
    gain_s = float(np.max(np.max(u_dev_s, axis=1) - u_own_s))

    ir = float(max(0.0, -np.min(u_own_b), -np.min(u_own_s)))
    out = rule.outcome(np.repeat(vs, TYPE_GRID), np.tile(cs, TYPE_GRID))
    bb = float(np.max(np.abs(out.seller_gets - out.buyer_pays)))
    return Properties(ic_gain=max(gain_b, gain_s, 0.0), ir_shortfall=ir, bb_gap=bb)
