"""Optimal routing over many CFMM pools (Angeris et al., EC 2022; Diamandis et al., FC 2023).

The facade: import from here. :func:`route_swap` and :func:`route_arbitrage` solve the
routing problem by dual decomposition with closed-form pools; the theory is in
:mod:`.solve`. One idea per module:

- ``solve``: :func:`route`, :func:`route_swap`, :func:`route_arbitrage`; picks the solver.
- ``network``: :class:`Network`, pools grouped by kind as float arrays.
- ``closed_forms``: each pool's optimal arbitrage at given prices, in closed form.
- ``kernels``: the dual's value, gradient and Hessian per pool (Numba when installed).
- ``newton``: projected Newton on the dual (Bertsekas 1982).
- ``direct``: the route read off Newton's prices, with no linear program.
- ``dual``: L-BFGS-B on the dual, the fallback.
- ``colgen``: column generation for constant-sum pools.
- ``primal``: the recovery LP and exact integer execution.
- ``result``: :class:`Route` and :class:`Trade`.
"""

from __future__ import annotations

from accord.mechanisms.cfmm import Pool
from accord.mechanisms.routing.colgen import Master, column_generation, columns_at, margins, price
from accord.mechanisms.routing.direct import MARGIN_COST, execute, held, route_newton
from accord.mechanisms.routing.dual import dual_value, solve_dual
from accord.mechanisms.routing.network import (
    FloatView,
    Network,
    component,
    reference_prices,
    subview,
)
from accord.mechanisms.routing.primal import CsPool, Trades, net_flow, repair_floats
from accord.mechanisms.routing.result import Route, Trade, blocks_of
from accord.mechanisms.routing.solve import Array, route, route_arbitrage, route_swap

__all__ = [
    "MARGIN_COST",
    "Array",
    "CsPool",
    "FloatView",
    "Master",
    "Network",
    "Pool",
    "Route",
    "Trade",
    "Trades",
    "blocks_of",
    "column_generation",
    "columns_at",
    "component",
    "dual_value",
    "execute",
    "held",
    "margins",
    "net_flow",
    "price",
    "reference_prices",
    "repair_floats",
    "route",
    "route_arbitrage",
    "route_newton",
    "route_swap",
    "solve_dual",
    "subview",
]
