"""The k-double auction's linear equilibrium, and the posted price, as bound rules.

**k-double auction** (Chatterjee & Samuelson, "Bargaining under incomplete information",
*Operations Research* 31(5), 1983). The buyer bids ``b``, the seller asks ``a``; they
trade iff ``b ≥ a``, at the price ``k b + (1 - k) a``. With ``v ~ U[b_lo, b_hi]`` and
``c ~ U[s_lo, s_hi]`` there is an equilibrium in linear strategies. Let the asks range
over ``[A, Ā]`` and the bids over ``[B, B̄]``. A buyer's first-order condition against
uniform asks, ``(v - b) = k (b - A)``, and a seller's against uniform bids,
``(a - c) = (1 - k)(B̄ - a)``, give::

    b(v) = (v + k A) / (1 + k)                  a(c) = (c + (1 - k) B̄) / (2 - k)
    A = a(s_lo) = ((1 + k) s_lo + (1 - k) b_hi) / 2,     B̄ = b(b_hi)

(solving the two fixed points together). They trade iff ``c ≤ (2 - k) b(v) - (1 - k) B̄``.
For U[0,1]² and ``k = 1/2``: ``b(v) = 2v/3 + 1/12``, ``a(c) = 2c/3 + 1/4``, trade iff
``v ≥ c + 1/4``: P(trade) = 9/32, gains 9/64, efficiency 27/32 of the first best (1/6),
which is the second-best (Myerson & Satterthwaite 1983, §4).

The linear strategies are best responses only while no bid needs to exceed the highest
ask (``b(b_hi) ≤ Ā``) and no ask the lowest bid (``a(s_lo) ≥ B``); outside that, a
best response is capped and the ask (bid) distribution stops being uniform. Such priors
are refused with a ValueError rather than evaluated at a strategy that is not an
equilibrium.

**Posted price** ``p`` (Hagerty & Rogerson, "Robust trading mechanisms", *J. Econ.
Theory* 42, 1987): trade iff ``v ≥ p ≥ c``, at ``p``. Truthful acceptance is dominant,
ex-post IR and budget balanced; with U[0,1]² its gains are ``p(1 - p)/2``, best at
``p = 1/2``: 1/8.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize

from accord.mechanisms.bargaining.bilateral_rule import (
    Rule,
    Settlement,
    as_messages,
    settlement,
    split_price,
)
from accord.mechanisms.bargaining.priors import (
    FloatArray,
    Prior,
    UniformPrior,
    check_k,
    check_priors,
    check_real,
)


@dataclass(frozen=True)
class LinearEquilibrium:
    """``b(v) = bid_intercept + bid_slope v`` and ``a(c) = ask_intercept + ask_slope c``."""

    k: float
    bid_slope: float
    bid_intercept: float
    ask_slope: float
    ask_intercept: float


def linear_equilibrium(k: float, buyer: Prior, seller: Prior) -> LinearEquilibrium:
    """Chatterjee & Samuelson's linear equilibrium of the k-double auction (module doc)."""
    k = check_k(k)
    buyer, seller = check_priors(buyer, seller)
    if not (isinstance(buyer, UniformPrior) and isinstance(seller, UniformPrior)):
        raise ValueError("the k-double auction's linear equilibrium needs uniform priors")
    low_ask = ((1 + k) * seller.low + (1 - k) * buyer.high) / 2
    high_bid = (buyer.high + k * low_ask) / (1 + k)
    eq = LinearEquilibrium(
        k=k,
        bid_slope=1 / (1 + k),
        bid_intercept=k * low_ask / (1 + k),
        ask_slope=1 / (2 - k),
        ask_intercept=(1 - k) * high_bid / (2 - k),
    )
    top_bid = eq.bid_intercept + eq.bid_slope * buyer.high
    top_ask = eq.ask_intercept + eq.ask_slope * seller.high
    low_bid = eq.bid_intercept + eq.bid_slope * buyer.low
    slack = 1e-12 * (1 + abs(buyer.high) + abs(seller.high))
    if top_bid > top_ask + slack or low_ask < low_bid - slack:
        raise ValueError(
            f"no linear equilibrium of the {k:g}-double auction for buyer "
            f"U[{buyer.low:g}, {buyer.high:g}] and seller U[{seller.low:g}, {seller.high:g}]"
        )
    return eq


@dataclass(frozen=True)
class DoubleAuctionRule(Rule):
    """The k-double auction at its linear equilibrium (module docstring)."""

    buyer: Prior
    seller: Prior
    k: float
    eq: LinearEquilibrium
    name: str = "k_double_auction"

    def settle(self, bid: ArrayLike, ask: ArrayLike) -> Settlement:
        return split_price(bid, ask, self.k)

    def bid(self, v: ArrayLike) -> FloatArray:
        return self.eq.bid_intercept + self.eq.bid_slope * as_messages(v, "buyer value")

    def ask(self, c: ArrayLike) -> FloatArray:
        return self.eq.ask_intercept + self.eq.ask_slope * as_messages(c, "seller cost")

    def ask_threshold(self, bid: float) -> float:
        return (bid - self.eq.ask_intercept) / self.eq.ask_slope

    def bid_threshold(self, ask: float) -> float:
        return (ask - self.eq.bid_intercept) / self.eq.bid_slope

    def message_ranges(self) -> tuple[tuple[float, float], tuple[float, float]]:
        lo = min(self.buyer.low, self.seller.low)
        hi = max(self.buyer.high, self.seller.high)
        return (lo, hi), (lo, hi)


@dataclass(frozen=True)
class PostedPriceRule(Rule):
    """Trade iff ``bid ≥ price ≥ ask``, at ``price`` (module docstring)."""

    buyer: Prior
    seller: Prior
    price: float
    name: str = "posted_price"

    def settle(self, bid: ArrayLike, ask: ArrayLike) -> Settlement:
        b, a = as_messages(bid, "bid"), as_messages(ask, "ask")
        trade = (b >= self.price) & (a <= self.price)
        paid = np.where(trade, self.price, 0.0)
        return settlement(trade, paid, paid)

    def ask_threshold(self, bid: float) -> float:
        return self.price if bid >= self.price else -math.inf

    def bid_threshold(self, ask: float) -> float:
        return self.price if ask <= self.price else math.inf

    def outer_points(self) -> tuple[float, ...]:
        inside = self.buyer.low < self.price < self.buyer.high
        return tuple(sorted({*super().outer_points(), *((self.price,) if inside else ())}))


def posted_price_gains(price: float, buyer: Prior, seller: Prior) -> float:
    """Expected gains of the posted price: ``∫_p f_B(v) (v F_S(p) - M_S(p)) dv``, i.e.
    ``(E[v; v ≥ p]) F_S(p) - P(v ≥ p) M_S(p)``."""
    buyer, seller = check_priors(buyer, seller)
    price = check_real(price, "posted price")
    sold = float(seller.cdf(price))
    if sold == 0.0 or price >= buyer.high:
        return 0.0
    p = max(price, buyer.low)
    upper = buyer.mean - float(buyer.partial_mean(p))
    return upper * sold - (1.0 - float(buyer.cdf(p))) * float(seller.partial_mean(price))


def best_posted_price(buyer: Prior, seller: Prior) -> float:
    """The price maximising :func:`posted_price_gains` over the overlap of the supports
    (bounded Brent search; the gains are unimodal for log-concave priors, and a coarse
    grid first keeps the search in the best basin otherwise)."""
    buyer, seller = check_priors(buyer, seller)
    lo, hi = max(buyer.low, seller.low), min(buyer.high, seller.high)
    if lo >= hi:  # supports do not overlap: any price between them trades always
        return 0.5 * (seller.high + buyer.low)
    grid = np.linspace(lo, hi, 65)
    best = int(np.argmax([posted_price_gains(float(p), buyer, seller) for p in grid]))
    a, b = grid[max(best - 1, 0)], grid[min(best + 1, 64)]
    res = optimize.minimize_scalar(
        lambda p: -posted_price_gains(float(p), buyer, seller),
        bounds=(float(a), float(b)),
        method="bounded",
        options={"xatol": 1e-12 * max(1.0, hi - lo)},
    )
    return float(res.x)
