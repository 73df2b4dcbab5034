"""Deep funding: credit entering a root propagates down the dependency graph.

The facade: import from here. :func:`propagate` solves ``(I − Wᵀ) s = e_r`` for every
node's share; the rule and its sources are in :mod:`.propagation`. One idea per module:

- ``propagation``: :func:`propagate` and its solvers (Neumann series, sparse LU, GMRES).
- ``graph``: :class:`Graph`, the dependency graph as sorted arrays.
- ``io``: graphs and seeds read from deep-funding CSV and JSON files.
- ``exact``: exact rational propagation for integer edge weights (the on-device contract).
- ``payouts``: shares apportioned to whole base units (largest remainder).
- ``judged``: edge weights fitted to a jury (:mod:`accord.mechanisms.judgement`).
"""

from __future__ import annotations

from accord.mechanisms.deepfund.exact import (
    Adjacency,
    ExactSplit,
    UnitEdge,
    adjacency,
    closed_cycles,
    exact_shares,
    to_units,
)
from accord.mechanisms.deepfund.graph import TOLERANCE, FloatArray, Graph, GraphError, IndexArray
from accord.mechanisms.deepfund.io import (
    DEFAULT_DEPENDENCY_SHARE,
    LoadedGraph,
    read_graph,
    read_seeds,
    read_weighted_csv,
    weigh_dependencies,
)
from accord.mechanisms.deepfund.judged import (
    JudgedWeights,
    judged_propagation,
    judged_weights,
    with_judged_edges,
)
from accord.mechanisms.deepfund.payouts import (
    apportion,
    float_weights,
    fraction_weights,
    largest_remainder,
)
from accord.mechanisms.deepfund.propagation import (
    BOUND_STEPS,
    DEFAULT_TOL,
    EXTRAPOLATE_BELOW,
    LU_MAX_NODES,
    METHODS,
    NEUMANN_BUDGET,
    SAFETY,
    InverseBound,
    Method,
    Propagation,
    SingularGraph,
    closed_classes,
    inverse_norm_bound,
    propagate,
    weight_matrix,
)

__all__ = [
    "BOUND_STEPS",
    "DEFAULT_DEPENDENCY_SHARE",
    "DEFAULT_TOL",
    "EXTRAPOLATE_BELOW",
    "LU_MAX_NODES",
    "METHODS",
    "NEUMANN_BUDGET",
    "SAFETY",
    "TOLERANCE",
    "Adjacency",
    "ExactSplit",
    "FloatArray",
    "Graph",
    "GraphError",
    "IndexArray",
    "InverseBound",
    "JudgedWeights",
    "LoadedGraph",
    "Method",
    "Propagation",
    "SingularGraph",
    "UnitEdge",
    "adjacency",
    "apportion",
    "closed_classes",
    "closed_cycles",
    "exact_shares",
    "float_weights",
    "fraction_weights",
    "inverse_norm_bound",
    "judged_propagation",
    "judged_weights",
    "largest_remainder",
    "propagate",
    "read_graph",
    "read_seeds",
    "read_weighted_csv",
    "to_units",
    "weigh_dependencies",
    "weight_matrix",
    "with_judged_edges",
]
