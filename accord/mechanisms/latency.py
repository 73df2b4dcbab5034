"""The latency race for one MEV opportunity, and what vertical integration is worth.

An opportunity worth ``V`` (a backrun after a price-moving trade) appears at a known
moment; ``N`` searchers each send one transaction to take it, and only the first one
the device runs captures it (the others revert and pay their gas).

**First come, first served.** Searcher ``i`` sees the opportunity ``d_i`` ms late, a
detection delay uniform on the integers ``0..J`` (its "jitter", independent across
searchers and races), and its transaction reaches the mempool ``L_i`` ms after that
(its configured latency): it arrives at ``a_i = L_i + d_i``. The ``fcfs`` rule runs
items by arrival, ties by submission order (:class:`accord.device.ordering.Fcfs`); the
game submits a race's transactions in a uniformly random order, so a tie at the first
arrival is a fair lottery among the tied. Searcher ``i`` then wins with probability

    P_i = Σ_t Pr[a_i = t] · Σ_k Pr[k others arrive at t, none before] / (k + 1)

(:func:`fcfs_win_shares`, exact in fractions). With no jitter (``J = 0``) the lowest
latency wins every race (:func:`fcfs_winner`); with two searchers ``g = L_1 − L_0`` ms
apart the slower wins ``(J + 1 − g)² / (2 (J + 1)²)`` of the races for ``0 ≤ g ≤ J + 1``
(``1/2`` at ``g = 0``; half the ties ``d_1 − d_0 = g`` included) and none beyond.

**Priority fees.** When tips order the block, latency within a block is irrelevant and
the searchers bid: a priority gas auction (Daian et al., "Flash Boys 2.0: Frontrunning,
Transaction Reordering, and Consensus Instability in Decentralized Exchanges", IEEE S&P
2020). In a sealed one-block version every bid is paid, the loser's on its reverted
transaction: an all-pay auction for the common prize ``V`` (Hillman & Riley 1989; Baye,
Kovenock & de Vries, "The all-pay auction with complete information", Econ. Theory
1996). Its symmetric equilibrium (:func:`pga_bid_per_gas`) leaves each searcher an
expected gain of 0 and hands the builder the whole prize in tips (:func:`pga`).

**Random and batch.** A rule that no arrival time moves (a keyed-hash permutation, a
canonical order by hash) makes latency irrelevant: win shares do not depend on it.

**Vertical integration.** A builder offers one searcher an exclusive order-flow deal: the
searcher's bundles run inside the builder with zero latency, so under fcfs it arrives
first. The most the searcher pays for the deal is its gain from it,
``V · (P_with − P_without)`` per race (:func:`deal_value`). Under fcfs that grows with
the searcher's latency gap (from ``V/2`` at no gap towards ``V``); under priority,
random and batch ordering latency buys nothing, so the deal is worth 0. A deal for the
*first slot* from a builder with discretion over the order is worth ``V (1 − 1/n)``
under random ordering too; under priority fees it is worth ``V`` to the partner (it
expects 0 in the auction) and costs the builder the ``V`` it expected in tips, so
integrating gains the pair nothing there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "PGA",
    "deal_value",
    "fcfs_win_shares",
    "fcfs_winner",
    "pga",
    "pga_bid_per_gas",
    "slow_share_two",
]

MAX_SEARCHERS = 16
MAX_SPAN_MS = 100_000


def _check_latencies(latencies: Sequence[int], jitter: int) -> None:
    if not 1 <= len(latencies) <= MAX_SEARCHERS:
        raise ValueError(f"need 1..{MAX_SEARCHERS} latencies, got {len(latencies)}")
    for i, v in enumerate(latencies):
        if type(v) is not int or not 0 <= v <= MAX_SPAN_MS:
            raise ValueError(f"latencies[{i}] must be an int in 0..{MAX_SPAN_MS}, got {v!r}")
    if type(jitter) is not int or not 0 <= jitter <= MAX_SPAN_MS:
        raise ValueError(f"jitter must be an int in 0..{MAX_SPAN_MS}, got {jitter!r}")


def fcfs_winner(latencies: Sequence[int], order: Sequence[int] | None = None) -> int:
    """The fcfs winner with no jitter: the lowest latency, ties by submission ``order``
    (the searchers' indices in the order they were submitted; default ``0, 1, ...``)."""
    _check_latencies(latencies, 0)
    sent = list(range(len(latencies))) if order is None else list(order)
    if sorted(sent) != list(range(len(latencies))):
        raise ValueError(f"order must be a permutation of 0..{len(latencies) - 1}, got {order!r}")
    rank = {s: k for k, s in enumerate(sent)}
    return min(range(len(latencies)), key=lambda i: (latencies[i], rank[i]))


def fcfs_win_shares(latencies: Sequence[int], jitter: int) -> tuple[Fraction, ...]:
    """Each searcher's exact probability of running first under fcfs (module docstring):
    arrival ``L_i + U{0..J}``, ties broken uniformly (random submission order)."""
    _check_latencies(latencies, jitter)
    n = len(latencies)
    q = Fraction(1, jitter + 1)

    def at(j: int, t: int) -> Fraction:  # Pr[a_j = t]
        return q if latencies[j] <= t <= latencies[j] + jitter else Fraction(0)

    def after(j: int, t: int) -> Fraction:  # Pr[a_j > t]
        if t < latencies[j]:
            return Fraction(1)
        return Fraction(max(0, latencies[j] + jitter - t)) * q

    shares = [Fraction(0)] * n
    for t in range(min(latencies), max(latencies) + jitter + 1):
        for i in range(n):
            p_i = at(i, t)
            if not p_i:
                continue
            # ties[k]: Pr[exactly k of the others arrive at t and the rest after t]
            ties = [Fraction(1)]
            for j in range(n):
                if j == i:
                    continue
                tie, later = at(j, t), after(j, t)
                nxt = [Fraction(0)] * (len(ties) + 1)
                for k, w in enumerate(ties):
                    nxt[k] += w * later
                    nxt[k + 1] += w * tie
                ties = nxt
            shares[i] += p_i * sum((w / (k + 1) for k, w in enumerate(ties)), Fraction(0))
    return tuple(shares)


def slow_share_two(gap: int, jitter: int) -> Fraction:
    """The slower of two searchers ``gap`` ms apart: its fcfs win share in closed form.

    It wins when ``d_1 + g < d_0`` (``Σ_{m=1}^{J−g} m = (J − g)(J + 1 − g)/2`` of the
    ``(J + 1)²`` equally likely pairs) and half the ties ``d_0 − d_1 = g`` (``J + 1 − g``
    pairs): ``(J + 1 − g)² / (2 (J + 1)²)`` for ``0 ≤ g ≤ J + 1``, 0 beyond."""
    if type(gap) is not int or gap < 0 or type(jitter) is not int or jitter < 0:
        raise ValueError(f"gap and jitter must be non-negative ints, got {gap!r}, {jitter!r}")
    if gap > jitter:
        return Fraction(0)
    return Fraction((jitter + 1 - gap) ** 2, 2 * (jitter + 1) ** 2)


def deal_value(prize: int, share_with: Fraction, share_without: Fraction) -> Fraction:
    """The most a searcher pays per race for a deal that moves its win share from
    ``share_without`` to ``share_with``: ``V · (P_with − P_without)``."""
    if type(prize) is not int or prize < 0:
        raise ValueError(f"prize must be a non-negative int, got {prize!r}")
    for name, p in (("share_with", share_with), ("share_without", share_without)):
        if not 0 <= p <= 1:
            raise ValueError(f"{name} must be in [0, 1], got {p}")
    return prize * (Fraction(share_with) - Fraction(share_without))


def pga_bid_per_gas(u: float, prize: int, win_gas: int, lose_gas: int, n: int = 2) -> int:
    """The symmetric all-pay equilibrium bid per gas among ``n`` searchers, at quantile
    ``u ∈ [0, 1)``, when the winner's transaction uses ``win_gas`` and a reverted one
    ``lose_gas``.

    A tip per gas ``b`` wins with probability ``W(b) = F(b)^(n−1)`` and costs ``b·G_w``
    when it wins, ``b·G_l`` when it loses. Indifference with bidding 0 (expected gain 0)
    gives ``W(b) (V − b G_w) = (1 − W(b)) b G_l``, so ``W = b G_l / (V − b (G_w − G_l))``;
    at quantile ``u``, ``W = u^(n−1)`` and ``b = W V / (G_l + W (G_w − G_l))``. (For
    ``n = 2`` this is :func:`accord.mechanisms.races.bid_per_gas`.) Rounded down.
    """
    if not 0 <= u < 1:
        raise ValueError(f"u must be in [0, 1), got {u!r}")
    if type(n) is not int or not 2 <= n <= MAX_SEARCHERS:
        raise ValueError(f"n must be an int in 2..{MAX_SEARCHERS}, got {n!r}")
    if type(prize) is not int or prize < 0:
        raise ValueError(f"prize must be a non-negative int, got {prize!r}")
    if type(win_gas) is not int or type(lose_gas) is not int or win_gas <= 0 or lose_gas <= 0:
        raise ValueError(f"gases must be positive ints, got {win_gas!r}, {lose_gas!r}")
    w = u ** (n - 1)
    return int(w * prize / (lose_gas + w * (win_gas - lose_gas)))


@dataclass(frozen=True)
class PGA:
    """The one-block priority gas auction's equilibrium for ``n`` searchers and prize
    ``V``: the builder's expected tips, each searcher's expected gain and win share."""

    prize: int
    n: int
    builder_revenue: Fraction
    searcher_gain: Fraction
    win_share: Fraction


def pga(prize: int, n: int = 2) -> PGA:
    """Full dissipation: each searcher expects 0 (the equilibrium's indifference with a
    zero bid), the prize always goes to someone, so the builder expects ``V`` in tips;
    by symmetry each wins ``1/n`` of the races."""
    if type(prize) is not int or prize < 0:
        raise ValueError(f"prize must be a non-negative int, got {prize!r}")
    if type(n) is not int or not 2 <= n <= MAX_SEARCHERS:
        raise ValueError(f"n must be an int in 2..{MAX_SEARCHERS}, got {n!r}")
    return PGA(prize, n, Fraction(prize), Fraction(0), Fraction(1, n))
