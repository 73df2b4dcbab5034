"""Batch auctions: coincidence of wants at uniform clearing prices (CoW-style).

The facade: import from here. :func:`clear` settles a batch of limit orders together,
matching them against each other first and routing only the imbalance through the
pools; the problem and its sources are in :mod:`.auction`. One idea per module:

- ``auction``: :func:`clear`, the search over candidate prices and its tie-breaks.
- ``types``: :class:`Order`, :class:`Fill`, :class:`PoolTrade`, :class:`BatchResult`.
- ``candidates``: the clearing-price candidates worth trying.
- ``routes``: the imbalance routed through the pools.
- ``settlement``: fills at given prices, an exact LP (:func:`settle`).
- ``execute``: the pools' integer swaps and the buyers' price improvement.
"""

from __future__ import annotations

from accord.mechanisms.batch.auction import MAX_CANDIDATES, REROUTE_REPAIRS, clear
from accord.mechanisms.batch.candidates import price_candidates, routed_candidates
from accord.mechanisms.batch.routes import Routed, batch_routes, route_imbalance
from accord.mechanisms.batch.settlement import (
    Plan,
    Settlement,
    planned_sold,
    pool_columns,
    settle,
    settle_uniform,
    solve_fills,
)
from accord.mechanisms.batch.types import BatchResult, Fill, Order, PoolTrade
from accord.mechanisms.cfmm import Pool
from accord.mechanisms.routing.network import Network

__all__ = [
    "MAX_CANDIDATES",
    "REROUTE_REPAIRS",
    "BatchResult",
    "Fill",
    "Network",
    "Order",
    "Plan",
    "Pool",
    "PoolTrade",
    "Routed",
    "Settlement",
    "batch_routes",
    "clear",
    "planned_sold",
    "pool_columns",
    "price_candidates",
    "route_imbalance",
    "routed_candidates",
    "settle",
    "settle_uniform",
    "solve_fills",
]
