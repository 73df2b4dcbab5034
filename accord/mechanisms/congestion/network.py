"""The routing game: a directed network of costed edges and the demands routed over it.

A :class:`Game` is a multigraph (parallel edges allowed, as in Pigou's network) whose
edges carry a cost (:mod:`accord.mechanisms.congestion.costs`), and one or more
:class:`Demand` s: a total flow to route from a source node to a sink. Users are a
nonatomic continuum (Wardrop 1952) or, in :mod:`accord.mechanisms.congestion.atomic`,
``N`` atomic users.

The games this package studies are small (examples, a DeFi run's token graph), so every
simple source–sink path is enumerated once (:attr:`Game.paths`, capped at
``max_paths``); the shortest-path oracle of Frank–Wolfe is then an ``argmin`` over the
incidence matrix's columns, exact and deterministic. With non-negative costs a shortest
path is always simple, so nothing is lost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from accord.mechanisms.congestion.costs import Cfmm, Cost, CostTable

Array = NDArray[np.float64]
IntArray = NDArray[np.intp]

__all__ = ["MAX_PATHS", "Demand", "Edge", "Game"]

MAX_PATHS = 20_000
"""The most simple paths a game may enumerate over all its demands."""


@dataclass(frozen=True)
class Edge:
    """A directed edge ``tail → head`` with its cost; ``name`` labels it in reports."""

    tail: str
    head: str
    cost: Cost
    name: str = ""


@dataclass(frozen=True)
class Demand:
    """``amount`` of flow to route from ``source`` to ``sink``."""

    source: str
    sink: str
    amount: float


@dataclass(frozen=True, eq=False)
class Game:
    """A routing game: edges, demands, and every simple path of every demand.

    Build with :meth:`build`, which checks everything and names what is wrong.
    ``paths[p]`` is a tuple of edge indices; ``commodity[p]`` the demand it serves.
    """

    edges: tuple[Edge, ...]
    demands: tuple[Demand, ...]
    paths: tuple[tuple[int, ...], ...]
    commodity: IntArray = field(repr=False)

    @classmethod
    def build(
        cls,
        edges: Sequence[Edge],
        demands: Sequence[Demand] | Demand,
        *,
        max_paths: int = MAX_PATHS,
    ) -> Game:
        """A game from edges and demands (one or many)."""
        edges = tuple(edges)
        demand_list = (demands,) if isinstance(demands, Demand) else tuple(demands)
        if not edges:
            raise ValueError("a routing game needs at least one edge")
        if not demand_list:
            raise ValueError("a routing game needs at least one demand")
        for e, edge in enumerate(edges):
            if not isinstance(edge, Edge):
                raise ValueError(f"edge {e} is a {type(edge).__name__}, not an Edge")
            for end in (edge.tail, edge.head):
                if not isinstance(end, str) or not end:
                    raise ValueError(f"edge {e} has a node {end!r} that is not a non-empty string")
            if edge.tail == edge.head:
                raise ValueError(f"edge {e} is a loop at {edge.tail!r}")
        CostTable([edge.cost for edge in edges])  # checks every cost's kind
        nodes = {n for edge in edges for n in (edge.tail, edge.head)}
        out: dict[str, list[int]] = {}
        for e, edge in enumerate(edges):
            out.setdefault(edge.tail, []).append(e)
        paths: list[tuple[int, ...]] = []
        commodity: list[int] = []
        for k, d in enumerate(demand_list):
            if not isinstance(d, Demand):
                raise ValueError(f"demand {k} is a {type(d).__name__}, not a Demand")
            if isinstance(d.amount, bool) or not isinstance(d.amount, int | float):
                raise ValueError(f"demand {k} amount must be a number, got {d.amount!r}")
            if not math.isfinite(d.amount) or d.amount <= 0:
                raise ValueError(f"demand {k} amount must be finite and positive, got {d.amount}")
            for end in (d.source, d.sink):
                if end not in nodes:
                    raise ValueError(f"demand {k} names node {end!r}, which no edge touches")
            if d.source == d.sink:
                raise ValueError(f"demand {k} routes {d.source!r} to itself")
            found = _simple_paths(out, edges, d.source, d.sink, max_paths - len(paths))
            if not found:
                raise ValueError(f"demand {k}: no path from {d.source!r} to {d.sink!r}")
            paths.extend(found)
            commodity.extend([k] * len(found))
        return cls(edges, demand_list, tuple(paths), np.array(commodity, dtype=np.intp))

    @cached_property
    def table(self) -> CostTable:
        """The edges' costs, vectorised."""
        return CostTable([edge.cost for edge in self.edges])

    @cached_property
    def incidence(self) -> Array:
        """``Δ``: edges × paths, ``Δ[e, p] = 1`` when path ``p`` uses edge ``e``."""
        delta = np.zeros((len(self.edges), len(self.paths)))
        for p, path in enumerate(self.paths):
            delta[list(path), p] = 1.0
        return delta

    @cached_property
    def amounts(self) -> Array:
        """Each demand's amount."""
        return np.array([float(d.amount) for d in self.demands])

    @cached_property
    def members(self) -> tuple[IntArray, ...]:
        """Each demand's path indices."""
        return tuple(np.flatnonzero(self.commodity == k) for k in range(len(self.demands)))

    @cached_property
    def reach(self) -> Array:
        """The most flow any acyclic routing puts on each edge: the demands that can use it."""
        used = self.incidence @ np.eye(len(self.demands))[self.commodity]
        return np.asarray((used > 0) @ self.amounts, dtype=float)

    @property
    def total_demand(self) -> float:
        """``Σ_k D_k``."""
        return float(self.amounts.sum())

    def with_eta(self, eta: float) -> Game:
        """The same game with every CFMM edge under sandwich loss ``eta``."""
        edges = tuple(
            replace(e, cost=e.cost.with_eta(eta)) if isinstance(e.cost, Cfmm) else e
            for e in self.edges
        )
        return Game(edges, self.demands, self.paths, self.commodity)

    def with_demand(self, scale: float) -> Game:
        """The same game with every demand multiplied by ``scale`` (positive)."""
        if not math.isfinite(scale) or scale <= 0:
            raise ValueError(f"demand scale must be finite and positive, got {scale}")
        demands = tuple(replace(d, amount=d.amount * scale) for d in self.demands)
        return Game(self.edges, demands, self.paths, self.commodity)

    def path_flows(self, edge_flows_of: dict[tuple[int, ...], float]) -> Array:
        """Path flows from ``{path: flow}`` (a helper for tests and examples)."""
        h = np.zeros(len(self.paths))
        index = {path: p for p, path in enumerate(self.paths)}
        for path, flow in edge_flows_of.items():
            if path not in index:
                raise ValueError(f"{path!r} is not a path of this game")
            h[index[path]] = flow
        return h


def _simple_paths(
    out: dict[str, list[int]], edges: tuple[Edge, ...], source: str, sink: str, cap: int
) -> list[tuple[int, ...]]:
    """Every simple path ``source → sink`` as edge indices, in depth-first order."""
    found: list[tuple[int, ...]] = []
    stack: list[tuple[str, tuple[int, ...], frozenset[str]]] = [(source, (), frozenset([source]))]
    while stack:
        node, path, seen = stack.pop()
        for e in reversed(out.get(node, [])):
            head = edges[e].head
            if head == sink:
                found.append((*path, e))
                if len(found) > cap:
                    raise ValueError(
                        "the game has more simple paths than max_paths allows: too large to "
                        "enumerate"
                    )
            elif head not in seen:
                stack.append((head, (*path, e), seen | {head}))
    found.sort(key=lambda p: (len(p), p))
    return found
