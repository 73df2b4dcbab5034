"""Single-pool arbitrage against reference prices, executed exactly in integers.

CEX-DEX arbitrage: at reference prices ``p`` each pool's optimal trade is in closed form
(the dual's per-pool subproblem in Angeris et al., "Optimal Routing for CFMMs", 2022, and
:mod:`accord.mechanisms.routing.closed_forms`: the no-arbitrage band of a product pool,
the breakpoint solve of a weighted one). :func:`pool_arbitrage` floors the float tender
and prices it with the pool's exact ``out_given_in``. The arbitrageurs that trade on it
are in :mod:`accord.agents.defi.searchers`; the DeFi routing game also uses it to measure
the arbitrage left in the pools.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from accord.agents.defi.users import Curve, Hop, Market
from accord.mechanisms import cfmm
from accord.mechanisms.routing.closed_forms import product_arbitrage, weighted_arbitrage

__all__ = ["PoolArbitrage", "pool_arbitrage"]


@dataclass(frozen=True, slots=True)
class PoolArbitrage:
    """The best trade of one pool against reference prices: ``value`` at those prices."""

    hop: Hop
    amount_out: int
    value: float


def pool_arbitrage(
    address: str, curve: Curve, prices: Mapping[str, float] | Market
) -> PoolArbitrage | None:
    """Optimal single-pool arbitrage at reference prices, executed exactly in integers.

    The float trade is the closed form of :mod:`accord.mechanisms.routing.closed_forms`
    (the no-arbitrage band of a product pool, the breakpoint solve of a weighted one);
    the tender is floored and the output is the pool's exact ``out_given_in``.
    """
    book = prices.prices if isinstance(prices, Market) else prices
    p = np.array([[book[t] for t in curve.tokens]])
    reserves = np.array([curve.reserves], dtype=float)
    gamma = np.array([curve.gamma])
    if isinstance(curve, cfmm.WeightedPool):
        w = np.array([curve.normalized_weights])
        _, net = weighted_arbitrage(reserves, w, gamma, p)
    else:
        _, net = product_arbitrage(reserves, gamma, p)
    row = net[0]
    if not (row < 0).any():
        return None
    i = int(np.argmin(row))
    j = 1 - i
    amount = int(-row[i])
    if amount <= 0:
        return None
    out = curve.out_given_in(i, j, amount)
    value = p[0, j] * out - p[0, i] * amount
    if value <= 0:
        return None
    hop = Hop(address, curve.tokens[i], amount, curve.tokens[j], out)
    return PoolArbitrage(hop, out, float(value))
