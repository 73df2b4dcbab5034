"""The three rules that trade whenever ``v ≥ c``: first best, VCG and AGV.

All three allocate efficiently on the reports; they differ in the money, and the
Myerson–Satterthwaite theorem (1983, Corollary 1) says that, when the supports overlap,
none of them can be at once Bayesian incentive compatible, interim individually rational
and budget balanced. Each gives up a different one:

* **First best** at the split price ``k v + (1 - k) c`` on truthful reports: budget
  balanced and ex-post IR, but *not* incentive compatible (each side gains by shading;
  that is why the double auction's equilibrium trades less). It is the benchmark every
  efficiency is measured against: expected gains ``E[(v - c)⁺]``, 1/6 on U[0,1]².
* **VCG** (Vickrey 1961; Clarke 1971; Groves 1973), with the pivot terms chosen so the
  lowest buyer type ``b_lo`` and the highest seller type ``s_hi`` get zero utility
  (Krishna, *Auction Theory*, 2nd ed., §5.3): on trade the buyer pays ``max(c, b_lo)``
  and the seller receives ``min(v, s_hi)``. Truth is dominant and ex-post IR holds, but
  the mechanism pays out ``min(v, s_hi) - max(c, b_lo)`` per trade, ``≥ 0`` when the
  supports overlap (``b_lo ≤ s_hi``; on disjoint supports it is a surplus,
  ``s_hi - b_lo < 0``): its expected deficit on U[0,1]² is ``E[(v - c)⁺] = 1/6``, the
  whole first-best surplus (each side is paid the other's value). That deficit is the
  least subsidy an IC+IR efficient mechanism needs: by Myerson & Satterthwaite's
  Theorem 1 it is ``-E[(Φ_B(v) - Φ_S(c))·1{v ≥ c}]`` (virtual values at α = 1) plus
  the worst types' utilities, which VCG holds at zero (1/6 on U[0,1]² again).
* **AGV / expected externality** (d'Aspremont & Gérard-Varet, "Incentives and
  incomplete information", *J. Public Econ.* 11, 1979; Arrow 1979): each side is paid
  the expected welfare of the other given its own report, and pays the other's such
  term. With ``ξ_S(c) = E_v[v·1{v ≥ c}] = E[v] - M_B(c)`` and
  ``ξ_B(v) = -E_c[c·1{c ≤ v}] = -M_S(v)`` (``M`` the partial means), the buyer pays and
  the seller receives ``t(v, c) = ξ_S(c) - ξ_B(v)`` on every draw, trade or not. Truth
  is a Bayes–Nash equilibrium and the budget balances exactly, draw by draw; but the
  buyer of value ``b_lo`` expects ``-E[ξ_S(c)] < 0`` (``-1/3`` on U[0,1]²), so interim
  IR fails for low buyer types.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from accord.mechanisms.bargaining.bilateral_rule import (
    Rule,
    Settlement,
    as_messages,
    clipped,
    settlement,
    split_price,
)
from accord.mechanisms.bargaining.priors import Prior


@dataclass(frozen=True)
class FirstBestRule(Rule):
    """Trade iff ``bid ≥ ask`` at ``k bid + (1 - k) ask``, evaluated on truthful reports."""

    buyer: Prior
    seller: Prior
    k: float
    name: str = "first_best"

    def settle(self, bid: ArrayLike, ask: ArrayLike) -> Settlement:
        return split_price(bid, ask, self.k)

    def ask_threshold(self, bid: float) -> float:
        return bid

    def bid_threshold(self, ask: float) -> float:
        return ask


class _EfficientOnReports(Rule):
    """Trade iff the reports, each read within its prior's support, have ``v ≥ c``."""

    def ask_threshold(self, bid: float) -> float:
        return min(max(bid, self.buyer.low), self.buyer.high)

    def bid_threshold(self, ask: float) -> float:
        return min(max(ask, self.seller.low), self.seller.high)


@dataclass(frozen=True)
class VCGRule(_EfficientOnReports):
    """Efficient trade; the buyer pays ``max(c, b_lo)``, the seller gets ``min(v, s_hi)``."""

    buyer: Prior
    seller: Prior
    name: str = "vcg"
    budget_balanced: bool = False

    def settle(self, bid: ArrayLike, ask: ArrayLike) -> Settlement:
        v = clipped(self.buyer, as_messages(bid, "bid"))
        c = clipped(self.seller, as_messages(ask, "ask"))
        trade = v >= c
        pays = np.where(trade, np.maximum(c, self.buyer.low), 0.0)
        gets = np.where(trade, np.minimum(v, self.seller.high), 0.0)
        return settlement(trade, pays, gets)


@dataclass(frozen=True)
class AGVRule(_EfficientOnReports):
    """Efficient trade; the buyer pays the seller ``E[v] - M_B(c) + M_S(v)`` every draw."""

    buyer: Prior
    seller: Prior
    name: str = "agv"

    def settle(self, bid: ArrayLike, ask: ArrayLike) -> Settlement:
        v = clipped(self.buyer, as_messages(bid, "bid"))
        c = clipped(self.seller, as_messages(ask, "ask"))
        trade = v >= c
        transfer = self.buyer.mean - self.buyer.partial_mean(c) + self.seller.partial_mean(v)
        return settlement(trade, transfer, transfer)
