"""The congestion game over CFMMs and links: Wardrop equilibrium, optimum, price of anarchy.

The facade: import from here. ``docs/congestion.md`` has the model and the theory. One
idea per module:

- ``costs``: edge costs (affine, BPR, constant, CFMM with sandwich loss η), vectorised.
- ``network``: :class:`Game`, the edges and demands, every simple path enumerated.
- ``solve``: :func:`wardrop` and :func:`optimum` by Frank–Wolfe with a certified gap.
- ``anarchy``: :func:`price_of_anarchy` with certified brackets.
- ``atomic``: ``N`` atomic users, pure Nash by best response (Rosenthal's potential).
- ``examples``: Pigou, Braess and the CFMM Pigou, with closed forms.
- ``router``: the CFMM optimum beside the optimal router's.
- ``sweep``: how η and the demand move the equilibrium and the price of anarchy.
"""

from __future__ import annotations

from accord.mechanisms.congestion.anarchy import (
    Anarchy,
    equilibrium_cost_bounds,
    flow_bounds,
    price_of_anarchy,
)
from accord.mechanisms.congestion.atomic import AtomicEquilibrium, atomic_equilibrium
from accord.mechanisms.congestion.costs import Affine, Bpr, Cfmm, Cost, CostTable, constant
from accord.mechanisms.congestion.examples import (
    CfmmPigou,
    braess,
    cfmm_braess,
    cfmm_pigou,
    cfmm_pigou_closed_form,
    pigou,
    random_affine,
)
from accord.mechanisms.congestion.network import Demand, Edge, Game
from accord.mechanisms.congestion.router import (
    RouterComparison,
    compare_with_router,
    parallel_pools,
)
from accord.mechanisms.congestion.solve import Flow, evaluate, optimum, solve, wardrop
from accord.mechanisms.congestion.sweep import row, sweep

__all__ = [
    "Affine",
    "Anarchy",
    "AtomicEquilibrium",
    "Bpr",
    "Cfmm",
    "CfmmPigou",
    "Cost",
    "CostTable",
    "Demand",
    "Edge",
    "Flow",
    "Game",
    "RouterComparison",
    "atomic_equilibrium",
    "braess",
    "cfmm_braess",
    "cfmm_pigou",
    "cfmm_pigou_closed_form",
    "compare_with_router",
    "constant",
    "equilibrium_cost_bounds",
    "evaluate",
    "flow_bounds",
    "optimum",
    "parallel_pools",
    "pigou",
    "price_of_anarchy",
    "random_affine",
    "row",
    "solve",
    "sweep",
    "wardrop",
]
