"""Sandwich math: the most profitable sandwich that keeps the victim at its ``min_out``.

**Sandwich within the victim's slippage tolerance** (Zhou, Qin, Torres, Le & Gervais,
"High-Frequency Trading on Decentralized On-Chain Exchanges", IEEE S&P 2021, §IV). A
victim sells ``a`` of token i on a pool for at least ``m`` of j. The attacker sells
``f`` of i first, which moves the price against the victim, lets the victim trade, then
sells back what it bought. The victim's output falls as ``f`` grows, so the largest
front-run the victim's ``min_out`` admits is

    f_max = max { f ≤ budget : out(a | pool after f) ≥ m },

found by bisection on the exact integer curve (:mod:`accord.mechanisms.cfmm`, Uniswap v2's
rounding bit for bit), and the attacker's profit ``back_out(f) − f`` is maximised over
``[0, f_max]`` by an integer ternary search (it is unimodal for constant-product and
weighted curves). :func:`best_sandwich` returns the exact amounts.

:func:`shared_best_sandwich` is the same answer memoised on the block's market, so that
every sandwicher sizing the same victim shares one bisection. The searchers that use this
are in :mod:`accord.agents.defi.searchers`.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.agents.defi.mempool import SwapCall
from accord.agents.defi.users import Curve, Market
from accord.mechanisms import cfmm

__all__ = [
    "Sandwich",
    "best_sandwich",
    "largest_front_run",
    "sandwich_at",
    "shared_best_sandwich",
]


# -- the math ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Sandwich:
    """A sandwich's exact amounts: sell ``front_in`` of i for ``front_out`` of j, the
    victim gets ``victim_out``, sell ``front_out`` of j back for ``back_out`` of i.
    ``profit = back_out − front_in`` (in token i)."""

    front_in: int
    front_out: int
    victim_out: int
    back_out: int

    @property
    def profit(self) -> int:
        return self.back_out - self.front_in


def _after_front(curve: Curve, i: int, j: int, f: int) -> tuple[int, Curve]:
    if f == 0:
        return 0, curve
    return curve.swap(i, j, f)


def largest_front_run(
    curve: Curve, i: int, j: int, victim_in: int, victim_min_out: int, budget: int
) -> int:
    """The largest ``f ≤ budget`` after which the victim still gets ``victim_min_out``.

    ``-1`` if the victim's trade fails even alone. Bisection on the exact integer
    output, which is non-increasing in ``f``.
    """

    if isinstance(curve, cfmm.ProductPool):  # the same integers, without pool objects
        x, y, fee = curve.reserves[i], curve.reserves[j], curve.fee_bps

        def ok(f: int) -> bool:
            fo = cfmm.amount_out(f, x, y, fee)
            return cfmm.amount_out(victim_in, x + f, y - fo, fee) >= victim_min_out

    else:

        def ok(f: int) -> bool:
            _, pool = _after_front(curve, i, j, f)
            return pool.out_given_in(i, j, victim_in) >= victim_min_out

    if not ok(0):
        return -1
    if ok(budget):
        return budget
    lo, hi = 0, budget  # ok(lo), not ok(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return lo


def sandwich_at(curve: Curve, i: int, j: int, victim_in: int, f: int) -> Sandwich:
    """The exact outcome of front-running ``victim_in`` with ``f``."""
    if isinstance(curve, cfmm.ProductPool):  # Uniswap v2's integers on plain reserves
        x, y, fee = curve.reserves[i], curve.reserves[j], curve.fee_bps
        fo = cfmm.amount_out(f, x, y, fee)
        vo = cfmm.amount_out(victim_in, x + f, y - fo, fee)
        bo = cfmm.amount_out(fo, y - fo - vo, x + f + victim_in, fee) if fo else 0
        return Sandwich(f, fo, vo, bo)
    fo, pool = _after_front(curve, i, j, f)
    vo, pool = pool.swap(i, j, victim_in)
    bo = pool.out_given_in(j, i, fo) if fo else 0
    return Sandwich(f, fo, vo, bo)


def best_sandwich(
    curve: Curve, i: int, j: int, victim_in: int, victim_min_out: int, budget: int
) -> Sandwich | None:
    """The most profitable sandwich that keeps the victim at its ``min_out`` (or None)."""
    f_max = largest_front_run(curve, i, j, victim_in, victim_min_out, budget)
    return _best_below(curve, i, j, victim_in, f_max)


def _best_below(curve: Curve, i: int, j: int, victim_in: int, f_max: int) -> Sandwich | None:
    """The most profitable front-run in ``[0, f_max]`` (ternary search), or None."""
    if f_max <= 0:
        return None
    lo, hi = 0, f_max
    while hi - lo > 2:  # ternary search on a unimodal integer function
        m1 = lo + (hi - lo) // 3
        m2 = hi - (hi - lo) // 3
        if (
            sandwich_at(curve, i, j, victim_in, m1).profit
            < sandwich_at(curve, i, j, victim_in, m2).profit
        ):
            lo = m1 + 1
        else:
            hi = m2 - 1
    best = max(
        (sandwich_at(curve, i, j, victim_in, f) for f in {lo, hi, (lo + hi) // 2, f_max}),
        key=lambda s: (s.profit, -s.front_in),
    )
    return best if best.profit > 0 else None


def shared_best_sandwich(market: Market, s: SwapCall, budget: int) -> Sandwich | None:
    """:func:`best_sandwich` of a visible victim, memoised on the block's ``market``.

    Every sandwicher sizes the same victims on the same pools; the largest front-run is
    computed once without the budget (capped at four times the pool's input reserve) and
    clipped to each attacker's budget, which gives exactly :func:`best_sandwich`'s
    answer because the victim's output is monotone in the front-run.
    """
    cap = 4 * s.curve.reserves[s.i]
    key = ("sandwich", s.pool, s.i, s.j, s.amount_in, s.min_out)
    f_unc = market.memo.get(key)
    if f_unc is None:
        f_unc = largest_front_run(s.curve, s.i, s.j, s.amount_in, s.min_out, cap)
        market.memo[key] = f_unc
    assert isinstance(f_unc, int)
    if f_unc >= cap and budget > cap:  # beyond the cap: no sharing
        return best_sandwich(s.curve, s.i, s.j, s.amount_in, s.min_out, budget)
    f_max = min(f_unc, budget)
    key2 = (*key, f_max)
    if key2 not in market.memo:
        market.memo[key2] = _best_below(s.curve, s.i, s.j, s.amount_in, f_max)
    found = market.memo[key2]
    assert found is None or isinstance(found, Sandwich)
    return found
