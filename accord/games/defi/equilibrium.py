"""The run's routing game in theory: its Wardrop price of anarchy beside the realised one.

The game's ``price_of_anarchy`` metric is *realised*: optimal welfare (every need its
ideal route, no gas) over the welfare the run actually produced, searchers, gas and
ordering included. This module computes the *theoretical* counterpart from
:mod:`accord.mechanisms.congestion`: the run's pools at the start (each one a CFMM edge
both ways, reserves valued at the reference prices; :class:`~accord.mechanisms.
congestion.Cfmm`) and its needs as a nonatomic flow of value, the run's total need per
(sell, buy) pair divided by the blocks played (the average block's demand). Then

- ``wardrop_poa``: that game's Wardrop equilibrium cost over its optimal cost (selfish
  small traders each taking the best average price, against a planner splitting the
  same flow), with no MEV (``η = 0``);
- ``wardrop_poa_mev``: the same with every CFMM trade sandwiched to the naive users'
  tolerance, ``η = slippage_bps/10⁴`` (Kulkarni, Diamandis & Chitra's model).

Both depend only on the network and the needs, not on the device's design, so within a
replicate they are the same in every row; they say how much of the realised figure's
distance from 1 the routing game alone would explain. Costs are fractions of the value
routed, so the ratio is in the same units as any other PoA. The solve stops at a
relative gap of 1e-9 (certified by :mod:`accord.mechanisms.congestion.anarchy`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from accord.mechanisms.cfmm import BPS, Pool, ProductPool, WeightedPool
from accord.mechanisms.congestion import Cfmm, Demand, Edge, Game, optimum, wardrop

if TYPE_CHECKING:
    from accord.games.defi.state import RunState

__all__ = ["TOL", "poa", "pool_game", "wardrop_poas"]

TOL = 1e-9


def pool_game(
    pools: Sequence[Pool],
    prices: Mapping[str, float],
    demand: Mapping[tuple[str, str], float],
    *,
    eta: float = 0.0,
) -> Game:
    """Two CFMM edges per two-token pool (one each way, values at ``prices`` per base
    unit) and one demand per ``(sell, buy)`` pair with positive value."""
    for (sell, buy), v in demand.items():
        if not math.isfinite(v) or v < 0:
            raise ValueError(f"demand {sell}->{buy} must be finite and non-negative, got {v}")
    edges = []
    for k, pool in enumerate(pools):
        missing = [t for t in pool.tokens if t not in prices]
        if missing:
            raise ValueError(f"pool {k} trades {missing} with no reference price")
        if not isinstance(pool, ProductPool | WeightedPool) or len(pool.reserves) != 2:
            raise ValueError(f"pool {k} is not a two-token product or weighted pool")
        weights = pool.weights if isinstance(pool, WeightedPool) else (1, 1)
        gamma = (BPS - pool.fee_bps) / BPS
        for i, j in ((0, 1), (1, 0)):
            cost = Cfmm(
                pool.reserves[i] * prices[pool.tokens[i]],
                pool.reserves[j] * prices[pool.tokens[j]],
                gamma,
                eta,
                float(weights[i]),
                float(weights[j]),
            )
            edges.append(Edge(pool.tokens[i], pool.tokens[j], cost, f"p{k}:{i}{j}"))
    wanted = [Demand(s, b, v) for (s, b), v in sorted(demand.items()) if v > 0]
    return Game.build(edges, wanted)


def poa(game: Game) -> float:
    """The Wardrop price of anarchy of ``game`` to a relative gap of :data:`TOL`
    (at least 1, a theorem: rounding may leave the computed ratio a hair below)."""
    eq = wardrop(game, tol=TOL)
    opt = optimum(game, tol=TOL)
    return max(1.0, eq.total_cost / opt.total_cost)


def wardrop_poas(run: RunState) -> tuple[float, float]:
    """``(wardrop_poa, wardrop_poa_mev)`` of a run (module docstring); ``(1, 1)`` when
    no need arrived (no flow, no anarchy)."""
    demand: dict[tuple[str, str], float] = {}
    for state in run.needs:
        need = state.need
        key = (need.sell, need.buy)
        value = need.amount * run.prices[need.sell] / run.params.blocks
        demand[key] = demand.get(key, 0.0) + value
    if not any(v > 0 for v in demand.values()):
        return 1.0, 1.0
    eta = run.params.slippage_bps / BPS
    return (
        poa(pool_game(run.start_pools, run.prices, demand)),
        poa(pool_game(run.start_pools, run.prices, demand, eta=eta)),
    )
