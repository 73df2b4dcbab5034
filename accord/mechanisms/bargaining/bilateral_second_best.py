"""Myerson–Satterthwaite's second-best: the most gains any IC, IR, BB mechanism can get.

Myerson & Satterthwaite ("Efficient mechanisms for bilateral trading", *J. Econ.
Theory* 29, 1983, Theorem 2): among Bayesian incentive-compatible, interim individually
rational mechanisms whose budget balances, expected gains are largest for the rule::

    trade  iff  Φ_B(v, α) ≥ Φ_S(c, α),
    Φ_B(v, α) = v - α (1 - F_B(v)) / f_B(v),   Φ_S(c, α) = c + α F_S(c) / f_S(c),

with ``α = λ / (1 + λ) ∈ [0, 1]`` the weight at which the participation constraint
binds: the worst types' interim utilities sum to zero, which by their Theorem 1 reads
``G(α) = E[(Φ_B(v, 1) - Φ_S(c, 1))·1{trade under α}] = 0``. The inner integral over
``c`` closes, since ``∫_{s_lo}^t Φ_S(c, 1) f_S(c) dc = t F_S(t)``::

    G(α) = ∫ f_B(v) F_S(t(v)) (Φ_B(v, 1) - t(v)) dv,   t(v) = the trade boundary at v

and ``G`` is solved for ``α`` by Brent's method (``G(1) ≥ 0``; if ``G(0) ≥ 0`` the first
best is already feasible and ``α = 0``). The virtual values must be increasing
("regular" priors); ironing is not implemented, and an irregular prior is refused.

For uniform priors the boundary is linear: trade iff ``v - c ≥ δ`` with
``δ = α (b_hi - s_lo) / (1 + α)``. For other priors the boundary and its inverse are
found by bisection on the virtual values at :data:`BOUNDARY_NODES` points and read
between them from monotone cubic (PCHIP) tables, to ~1e-12. On U[0,1]² ``α = 1/3``
(λ = 1/2) and trade iff ``v ≥ c + 1/4``: the allocation of the ½-double auction's
equilibrium, gains 9/64.

**Transfers.** Theorem 1's interim payments with the worst types held to zero utility,
``π_B(v) = v Q_B(v) - ∫_{b_lo}^v Q_B`` and ``π_S(c) = c Q_S(c) + ∫_c^{s_hi} Q_S``
(``Q_B(v) = F_S(t(v))``, ``Q_S(c) = 1 - F_B(t⁻¹(c))``), are made budget balanced draw by
draw in the way of AGV (Börgers, *An Introduction to the Theory of Mechanism Design*,
2015, §3.3.3): the buyer pays the seller ``π_B(v) + π_S(c) - E[π_S]``, whose interim
expectations are ``π_B`` and ``π_S`` again because ``E[π_B] = E[π_S]`` at the binding
``α``. The mechanism is BIC, interim IR and ex-post budget balanced, but not ex-post IR:
a draw can leave a party worse off than not playing (the ½-double auction reaches the
same allocation ex-post IR on uniform priors; no such guarantee holds in general).

``∫ Q`` is tabulated once per rule at :data:`TABLE_CELLS` cells split at every kink, by
Gauss–Legendre per cell, and read by cubic Hermite interpolation with the exact
derivative ``Q``: the transfers are accurate to ~1e-12 of the interval.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from scipy import integrate, optimize
from scipy.interpolate import CubicHermiteSpline, PchipInterpolator

from accord.mechanisms.bargaining.bilateral_rule import (
    Rule,
    Settlement,
    as_messages,
    clipped,
    settlement,
    solve_increasing,
)
from accord.mechanisms.bargaining.priors import FloatArray, Prior, UniformPrior, check_priors

TABLE_CELLS = 1024
"""Cells of the ``∫ Q`` tables (plus one cell boundary at each kink)."""
GAUSS_NODES = 8
"""Gauss–Legendre nodes per table cell (exact for polynomials of degree 15)."""
BOUNDARY_NODES = 8193
"""Nodes of a general prior's trade-boundary tables (exact at each, monotone cubic between)."""
REGULARITY_GRID = 513
"""Points at which the virtual value and cost must be nondecreasing."""


def _boundaries(
    buyer: Prior, seller: Prior, alpha: float
) -> tuple[Callable[[FloatArray], FloatArray], Callable[[FloatArray], FloatArray]]:
    """``t(v)`` (trade iff ``c ≤ t(v)``) and ``t⁻¹(c)`` (trade iff ``v ≥ t⁻¹(c)``) for the
    rule of weight ``alpha``, vectorised. Beyond the other side's support they return a
    value outside it (``-inf``/``+inf`` for never)."""
    if isinstance(buyer, UniformPrior) and isinstance(seller, UniformPrior):
        delta = alpha * (buyer.high - seller.low) / (1 + alpha)
        return (lambda v: clipped(buyer, v) - delta), (lambda c: clipped(seller, c) + delta)

    def up(v: FloatArray) -> FloatArray:
        target = buyer.virtual_value(v, alpha)
        return solve_increasing(
            lambda x: seller.virtual_cost(x, alpha), target, seller.low, seller.high
        )

    def down(c: FloatArray) -> FloatArray:
        target = seller.virtual_cost(c, alpha)
        return solve_increasing(
            lambda x: buyer.virtual_value(x, alpha), target, buyer.low, buyer.high
        )

    # Where trade starts and stops: below ``first`` no seller trades with the buyer, above
    # ``last`` no buyer with the seller. Between them the boundaries are smooth and
    # increasing, read from monotone cubic tables exact at their nodes.
    floor = seller.virtual_cost(np.array([seller.low]), alpha)
    first = float(
        solve_increasing(lambda x: buyer.virtual_value(x, alpha), floor, buyer.low, buyer.high)[0]
    )
    never = float(buyer.virtual_value(np.array([buyer.high]), alpha)[0]) < float(floor[0])
    last = float(up(np.array([buyer.high]))[0])
    if never or first >= buyer.high or last <= seller.low:  # trade on a null set at most
        return (lambda v: np.full(np.shape(v), -math.inf)), (
            lambda c: np.full(np.shape(c), math.inf)
        )
    up_nodes = np.linspace(first, buyer.high, BOUNDARY_NODES)
    down_nodes = np.linspace(seller.low, last, BOUNDARY_NODES)
    up_table = PchipInterpolator(up_nodes, up(up_nodes))
    down_table = PchipInterpolator(down_nodes, down(down_nodes))

    def up_fast(v: FloatArray) -> FloatArray:
        x = np.asarray(v, dtype=np.float64)
        inside = up_table(np.clip(x, first, buyer.high))
        return np.where(x < first, -math.inf, inside)

    def down_fast(c: FloatArray) -> FloatArray:
        x = np.asarray(c, dtype=np.float64)
        inside = down_table(np.clip(x, seller.low, last))
        return np.where(x > last, math.inf, inside)

    return up_fast, down_fast


def check_regular(prior: Prior, role: str) -> None:
    """ValueError unless ``prior``'s virtual value (buyer) or cost (seller) is nondecreasing."""
    grid = np.linspace(prior.low, prior.high, REGULARITY_GRID)
    phi = prior.virtual_value(grid) if role == "buyer" else prior.virtual_cost(grid)
    finite = np.isfinite(phi)
    steps = np.diff(phi[finite])
    if np.any(steps < -1e-9 * (1.0 + np.max(np.abs(phi[finite])))):
        raise ValueError(
            f"the {role}'s prior is not regular (virtual values decrease); "
            "the second-best needs ironing, which is not implemented"
        )


def _pieces(low: float, high: float, cuts: FloatArray) -> list[tuple[float, float]]:
    inner = sorted({float(x) for x in cuts if low < x < high and math.isfinite(x)})
    edges = [low, *inner, high]
    return list(itertools.pairwise(edges))


def virtual_surplus(alpha: float, buyer: Prior, seller: Prior) -> float:
    """``G(α)`` of the module docstring, by Gauss–Legendre on the pieces between kinks."""
    up, down = _boundaries(buyer, seller, alpha)
    cuts = np.array([*down(np.array([seller.low, seller.high])), *buyer.kinks, *seller.kinks])

    def integrand(v: FloatArray) -> FloatArray:
        t = np.clip(up(v), seller.low, seller.high)
        return buyer.pdf(v) * seller.cdf(t) * (buyer.virtual_value(v) - t)

    total = 0.0
    for a, b in _pieces(buyer.low, buyer.high, cuts):
        value, _ = integrate.fixed_quad(integrand, a, b, n=48)
        total += float(value)
    return total


def second_best_weight(buyer: Prior, seller: Prior) -> float:
    """The weight ``α = λ / (1 + λ)`` at which the second-best's IR constraint binds."""
    buyer, seller = check_priors(buyer, seller)
    check_regular(buyer, "buyer")
    check_regular(seller, "seller")
    if virtual_surplus(0.0, buyer, seller) >= 0.0:
        return 0.0
    return float(optimize.brentq(virtual_surplus, 0.0, 1.0, args=(buyer, seller), xtol=1e-15))


def _integral_table(
    q: Callable[[FloatArray], FloatArray], low: float, high: float, kinks: FloatArray
) -> CubicHermiteSpline:
    """``x ↦ ∫_low^x q`` as a cubic Hermite spline with the exact derivative ``q``."""
    nodes = np.union1d(
        np.linspace(low, high, TABLE_CELLS + 1), kinks[(kinks > low) & (kinks < high)]
    )
    gx, gw = np.polynomial.legendre.leggauss(GAUSS_NODES)
    a, b = nodes[:-1, None], nodes[1:, None]
    pts = 0.5 * (b - a) * gx[None, :] + 0.5 * (a + b)
    cells = (0.5 * (b - a)[:, 0]) * (q(pts.ravel()).reshape(pts.shape) @ gw)
    values = np.concatenate([[0.0], np.cumsum(cells)])
    return CubicHermiteSpline(nodes, values, q(nodes))


@dataclass(frozen=True)
class SecondBestRule(Rule):
    """The second-best rule of weight ``alpha`` with balanced transfers (module doc)."""

    buyer: Prior
    seller: Prior
    alpha: float
    name: str = "second_best"
    _up: Callable[[FloatArray], FloatArray] = field(init=False, repr=False, compare=False)
    _down: Callable[[FloatArray], FloatArray] = field(init=False, repr=False, compare=False)
    _iq_buyer: CubicHermiteSpline = field(init=False, repr=False, compare=False)
    _iq_seller: CubicHermiteSpline = field(init=False, repr=False, compare=False)
    _mean_pi_seller: float = field(init=False, repr=False, compare=False)
    _cost_kinks: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        up, down = _boundaries(self.buyer, self.seller, self.alpha)
        object.__setattr__(self, "_up", up)
        object.__setattr__(self, "_down", down)
        b_kinks = np.array(
            [*down(np.array([self.seller.low, self.seller.high])), *self.buyer.kinks]
        )
        s_kinks = np.array([*up(np.array([self.buyer.low, self.buyer.high])), *self.seller.kinks])
        object.__setattr__(
            self,
            "_iq_buyer",
            _integral_table(self.q_buyer, self.buyer.low, self.buyer.high, b_kinks),
        )
        object.__setattr__(
            self,
            "_iq_seller",
            _integral_table(self.q_seller, self.seller.low, self.seller.high, s_kinks),
        )
        inside = (s_kinks > self.seller.low) & (s_kinks < self.seller.high)
        object.__setattr__(self, "_cost_kinks", tuple(sorted({float(x) for x in s_kinks[inside]})))
        mean = 0.0
        for a, b in _pieces(self.seller.low, self.seller.high, s_kinks):
            value, _ = integrate.fixed_quad(
                lambda c: self.pi_seller(c) * self.seller.pdf(c), a, b, n=48
            )
            mean += float(value)
        object.__setattr__(self, "_mean_pi_seller", mean)

    def q_buyer(self, v: FloatArray) -> FloatArray:
        """``Q_B(v)``: the probability that the buyer of value ``v`` trades."""
        return self.seller.cdf(self._up(v))

    def q_seller(self, c: FloatArray) -> FloatArray:
        """``Q_S(c)``: the probability that the seller of cost ``c`` trades."""
        return 1.0 - self.buyer.cdf(self._down(c))

    def pi_buyer(self, v: ArrayLike) -> FloatArray:
        """The buyer's interim expected payment ``v Q_B(v) - ∫_{b_lo}^v Q_B``."""
        x = clipped(self.buyer, np.asarray(v, dtype=np.float64))
        return np.asarray(x * self.q_buyer(x) - self._iq_buyer(x), dtype=np.float64)

    def pi_seller(self, c: ArrayLike) -> FloatArray:
        """The seller's interim expected receipt ``c Q_S(c) + ∫_c^{s_hi} Q_S``."""
        x = clipped(self.seller, np.asarray(c, dtype=np.float64))
        rest = self._iq_seller(self.seller.high) - self._iq_seller(x)
        return np.asarray(x * self.q_seller(x) + rest, dtype=np.float64)

    def settle(self, bid: ArrayLike, ask: ArrayLike) -> Settlement:
        v = clipped(self.buyer, as_messages(bid, "bid"))
        c = clipped(self.seller, as_messages(ask, "ask"))
        trade = self.buyer.virtual_value(v, self.alpha) >= self.seller.virtual_cost(c, self.alpha)
        transfer = self.pi_buyer(v) + self.pi_seller(c) - self._mean_pi_seller
        return settlement(trade, transfer, transfer)

    def cost_kinks(self) -> tuple[float, ...]:
        return self._cost_kinks

    def ask_threshold(self, bid: float) -> float:
        return float(self._up(np.array([bid]))[0])

    def bid_threshold(self, ask: float) -> float:
        return float(self._down(np.array([ask]))[0])
