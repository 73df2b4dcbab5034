"""The CFMM routing game beside the optimal router (:mod:`accord.mechanisms.routing`).

When every edge is a pool between the same two tokens, the game's social optimum is an
optimal swap: minimising the value lost ``Σ x_e·c_e(x_e) = D − Σ G_e(x_e)`` is
maximising the value received, which is what :func:`accord.mechanisms.routing.route_swap`
does (Angeris, Chitra, Evans & Boyd, "Optimal Routing for Constant Function Market
Makers", EC 2022). :func:`parallel_pools` builds the game from exact integer pools and
:func:`compare_with_router` solves both ways, and also gives the Wardrop split: what a
continuum of small selfish traders, each taking the best average price, would send to
each pool. The game's ``G`` for a pool is the real-valued ``x·y = k`` curve; the exact
integer output (:func:`accord.mechanisms.cfmm.amount_out`) of the same split is
reported beside it (it is below by at most one base unit per pool).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from accord.mechanisms.cfmm import ProductPool, amount_out
from accord.mechanisms.congestion.costs import Cfmm
from accord.mechanisms.congestion.network import Demand, Edge, Game
from accord.mechanisms.congestion.solve import optimum, wardrop
from accord.mechanisms.routing import route_swap

Array = NDArray[np.float64]

__all__ = ["RouterComparison", "compare_with_router", "parallel_pools"]


def _sides(pool: ProductPool, sell: str, buy: str) -> tuple[int, int]:
    if tuple(sorted(pool.tokens)) != tuple(sorted((sell, buy))):
        raise ValueError(f"pool {pool.tokens!r} does not trade {sell!r} for {buy!r}")
    return pool.tokens.index(sell), pool.tokens.index(buy)


def parallel_pools(
    pools: Sequence[ProductPool], sell: str, amount: int, buy: str, *, eta: float = 0.0
) -> Game:
    """The game of selling ``amount`` base units of ``sell`` for ``buy`` over ``pools``.

    Value is in units of ``buy`` at the best pool's marginal price after fee (so no
    pool pays more than the reference and every latency is non-negative): one unit of
    ``sell`` is worth ``P = max_e γ_e·R_out/R_in`` units of ``buy``.
    """
    if not pools:
        raise ValueError("parallel_pools needs at least one pool")
    if type(amount) is not int or amount <= 0:
        raise ValueError(f"amount must be a positive int in base units, got {amount!r}")
    for k, pool in enumerate(pools):
        if not isinstance(pool, ProductPool):
            raise ValueError(f"pool {k} is a {type(pool).__name__}, not a ProductPool")
    sides = [_sides(pool, sell, buy) for pool in pools]
    price = max(
        float(pool.spot_price(i, j, with_fee=True))
        for pool, (i, j) in zip(pools, sides, strict=True)
    )
    edges = [
        Edge(
            sell,
            buy,
            Cfmm.from_reserves(
                pool.reserves[i], pool.reserves[j], price_in=price, fee_bps=pool.fee_bps, eta=eta
            ),
            f"pool{k}",
        )
        for k, (pool, (i, j)) in enumerate(zip(pools, sides, strict=True))
    ]
    return Game.build(edges, Demand(sell, buy, amount * price))


@dataclass(frozen=True)
class RouterComparison:
    """Per pool, base units of ``sell`` sent by the router, the optimum and Wardrop."""

    router: Array
    optimum: Array
    wardrop: Array
    router_out: float  # the router's float plan: units of buy received
    optimum_out: float  # the game's optimum: units of buy received (real-valued curve)
    optimum_out_int: int  # the optimum's split executed exactly through cfmm
    wardrop_out: float
    gap: float  # the optimum's Frank–Wolfe gap, in units of buy
    router_gap: float  # the router's own relative duality gap


def compare_with_router(
    pools: Sequence[ProductPool], sell: str, amount: int, buy: str
) -> RouterComparison:
    """Solve the swap by the router and as the game (optimum and Wardrop split)."""
    game = parallel_pools(pools, sell, amount, buy)
    price = game.total_demand / amount
    sides = [_sides(pool, sell, buy) for pool in pools]
    route = route_swap(list(pools), sell, amount, buy, integers=False)
    routed = np.zeros(len(pools))
    for t in route.trades:
        routed[t.pool] = t.tendered[t.tokens.index(sell)]
    opt = optimum(game)
    eq = wardrop(game)
    split = opt.edge_flow / price
    exact = 0
    for pool, (i, j), x in zip(pools, sides, split.tolist(), strict=True):
        units = int(x)
        if units > 0:
            exact += amount_out(units, pool.reserves[i], pool.reserves[j], pool.fee_bps)
    return RouterComparison(
        router=routed,
        optimum=split,
        wardrop=eq.edge_flow / price,
        router_out=float(route.value),
        optimum_out=game.total_demand - opt.total_cost,
        optimum_out_int=exact,
        wardrop_out=game.total_demand - eq.total_cost,
        gap=opt.gap,
        router_gap=float(route.relative_gap),
    )
