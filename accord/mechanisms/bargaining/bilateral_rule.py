"""A bilateral-trade mechanism bound to its priors: messages in, trade and money out.

Every mechanism of :mod:`.bilateral` becomes a :class:`Rule` once the priors are known
(the second-best's weight, the double auction's equilibrium and AGV's transfers depend
on them). A rule says three things, all vectorised over NumPy arrays:

* ``settle(bid, ask)``: the outcome for a buyer's message ``bid`` and a seller's ``ask``:
  whether they trade, what the buyer pays and what the seller gets. A direct mechanism's
  messages are reported types; the double auction's are bids and asks.
* ``bid(v)`` and ``ask(c)``: the play the mechanism is evaluated at (the Bayes–Nash
  equilibrium, or truthful reports where truth is an equilibrium; for
  :class:`~.bilateral.FirstBest`, truthful reports although truth is *not* one).
* ``ask_threshold(bid)`` and ``bid_threshold(ask)``: against the other side's play, a
  buyer sending ``bid`` trades with exactly the sellers of cost ``c ≤ ask_threshold(bid)``,
  and a seller sending ``ask`` with the buyers of value ``v ≥ bid_threshold(ask)``. Every
  mechanism here has such monotone trade regions; the quadrature integrates up to these
  boundaries instead of over an indicator (the regions' kinks would cost it its digits).

Money flows: the buyer pays ``buyer_pays`` and the seller receives ``seller_gets``; the
difference ``seller_gets - buyer_pays`` is the mechanism's deficit on that draw (VCG's is
positive). A participant's ex-post utility is ``v·trade - buyer_pays`` for the buyer and
``seller_gets - c·trade`` for the seller; staying out is worth 0 (the IR benchmark).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from accord.mechanisms.bargaining.priors import BISECTIONS, FloatArray, Prior

BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class Settlement:
    """Per draw: whether the good changes hands, what the buyer pays, what the seller gets."""

    trade: BoolArray
    buyer_pays: FloatArray
    seller_gets: FloatArray


def as_messages(x: ArrayLike, name: str) -> FloatArray:
    """``x`` as a float array of finite values; ValueError naming ``name`` otherwise."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be finite real numbers, got {x!r}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite real numbers, got a NaN or an infinity")
    return arr


def solve_increasing(
    fn: Callable[[FloatArray], FloatArray], target: FloatArray, low: float, high: float
) -> FloatArray:
    """The least ``x ∈ [low, high]`` with ``fn(x) ≥ target``, elementwise, for ``fn``
    nondecreasing: ``low`` if ``fn(low) ≥ target`` already, ``high`` if even ``fn(high)``
    falls short. Vectorised bisection, :data:`BISECTIONS` halvings (exact to the float)."""
    lo = np.full(np.shape(target), low, dtype=np.float64)
    hi = np.full(np.shape(target), high, dtype=np.float64)
    for _ in range(BISECTIONS):
        mid = 0.5 * (lo + hi)
        above = fn(mid) >= target
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    return hi


class Rule(ABC):
    """A mechanism under given priors (see the module docstring for each method)."""

    buyer: Prior
    seller: Prior
    name: str = "rule"
    budget_balanced: bool = True
    """True when ``buyer_pays == seller_gets`` on every draw by construction."""

    @abstractmethod
    def settle(self, bid: ArrayLike, ask: ArrayLike) -> Settlement:
        """The outcome for messages ``bid`` and ``ask`` (broadcast together)."""

    @abstractmethod
    def ask_threshold(self, bid: float) -> float:
        """A buyer sending ``bid`` trades iff ``c ≤`` this (``-inf``: never)."""

    @abstractmethod
    def bid_threshold(self, ask: float) -> float:
        """A seller sending ``ask`` trades iff ``v ≥`` this (``+inf``: never)."""

    def bid(self, v: ArrayLike) -> FloatArray:
        """The buyer's message at value ``v`` under the evaluated play (default: truth)."""
        return as_messages(v, "buyer value")

    def ask(self, c: ArrayLike) -> FloatArray:
        """The seller's message at cost ``c`` under the evaluated play (default: truth)."""
        return as_messages(c, "seller cost")

    def outcome(self, v: ArrayLike, c: ArrayLike) -> Settlement:
        """The outcome at types ``(v, c)`` under the evaluated play."""
        return self.settle(self.bid(v), self.ask(c))

    def threshold(self, v: float) -> float:
        """Under the play, the buyer of value ``v`` trades iff ``c ≤`` this."""
        return self.ask_threshold(float(self.bid(v)))

    def message_ranges(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The buyer's and the seller's messages worth trying as deviations (IC checks)."""
        return (self.buyer.low, self.buyer.high), (self.seller.low, self.seller.high)

    def cost_kinks(self) -> tuple[float, ...]:
        """Seller costs where the payments kink as functions of the ask (inner splits)."""
        return ()

    def outer_points(self) -> tuple[float, ...]:
        """Values of ``v`` where an integrand over ``v`` may kink: the support ends of both
        priors, their density kinks, and where the trade boundary enters or leaves the
        seller's support (found by bisection on :meth:`threshold`, which is monotone)."""
        lo, hi = self.buyer.low, self.buyer.high
        pts = {self.seller.low, self.seller.high, *self.buyer.kinks, *self.seller.kinks}
        for edge in (self.seller.low, self.seller.high):
            if self.threshold(lo) < edge <= self.threshold(hi):
                a, b = lo, hi
                for _ in range(BISECTIONS):
                    mid = 0.5 * (a + b)
                    if self.threshold(mid) >= edge:
                        b = mid
                    else:
                        a = mid
                pts.add(b)
        return tuple(sorted(p for p in pts if lo < p < hi and math.isfinite(p)))


def clipped(prior: Prior, x: FloatArray) -> FloatArray:
    """Reports outside a prior's support are read as its nearest end (a direct mechanism
    has no rule for impossible types, and clipping keeps every report meaningful)."""
    return np.clip(x, prior.low, prior.high)


def settlement(trade: BoolArray, buyer_pays: FloatArray, seller_gets: FloatArray) -> Settlement:
    """A :class:`Settlement` with the arrays broadcast together."""
    t, b, s = np.broadcast_arrays(trade, buyer_pays, seller_gets)
    return Settlement(np.asarray(t, dtype=np.bool_), np.asarray(b, float), np.asarray(s, float))


def split_price(bid: ArrayLike, ask: ArrayLike, k: float) -> Settlement:
    """Trade iff ``bid ≥ ask``, at ``k bid + (1 - k) ask`` (the k-double auction's price,
    and the first best's on truthful reports)."""
    b, a = as_messages(bid, "bid"), as_messages(ask, "ask")
    trade = b >= a
    price = np.where(trade, k * b + (1 - k) * a, 0.0)
    return settlement(trade, price, price)
