"""A weighted dependency graph for deep funding: nodes, edges, originality, validation.

The deep-funding dependency graph (``deepfunding/dependency-graph``, README "Overview")
has an edge ``source → target`` when ``source`` (the *dependent*) uses ``target`` (its
*dependency*). The weight of the edge is the part of the credit reaching ``source`` that
belongs to ``target``. "The weights coming out of a source node into its target nodes
should sum to less than one; the remainder represents the portion of credit that rests
with the source node itself": its **originality**,

    o_i = 1 − Σ_j w_ij.

A :class:`Graph` holds the edges as flat numpy arrays sorted by source (``int32`` node
indices, ``float64`` weights), so that a million nodes and ten million edges fit in about
160 MB and the propagation matrix is built from them without a sort
(:mod:`accord.mechanisms.deepfund`). Validation is vectorised and names what is wrong:

* a weight must be finite and ≥ 0;
* no self-loops (a node's credit to itself is its originality, not an edge);
* each source's out-weights sum to at most 1, with a tolerance of :data:`TOLERANCE`
  (``1e-9``) for rounding in the file; a sum within the tolerance above 1 is scaled down
  to exactly 1 (originality 0), so no node passes on more than it receives.

Parallel edges given as arrays add up (each is a path of its own, so the total is the
sum); the CSV readers (:mod:`accord.mechanisms.deepfund.io`) refuse duplicate rows, which
are almost always a mistake in a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.int32]

TOLERANCE = 1e-9
"""How far above 1 a source's out-weight sum may be and still count as 1."""

__all__ = ["TOLERANCE", "Graph", "GraphError", "random_graph"]


class GraphError(ValueError):
    """A graph or graph file is invalid; the message names the row, node or edge."""


@dataclass(frozen=True, eq=False)
class Graph:
    """Nodes ``0 … n−1`` named by ``nodes``; edges ``src[k] → dst[k]`` of ``weight[k]``.

    Build one with :meth:`from_edges` (names) or :meth:`from_arrays` (indices); both
    validate. Edges are stored sorted by source (stable, so the given order of a source's
    edges is kept).
    """

    nodes: tuple[str, ...]
    src: IndexArray
    dst: IndexArray
    weight: FloatArray
    out_weight: FloatArray
    """``Σ_j w_ij`` per node (at most 1)."""

    @property
    def n(self) -> int:
        return len(self.nodes)

    @property
    def m(self) -> int:
        return int(self.src.shape[0])

    @cached_property
    def originality(self) -> FloatArray:
        """``o_i = 1 − Σ_j w_ij``: the part of the credit reaching ``i`` that ``i`` keeps."""
        return np.clip(1.0 - self.out_weight, 0.0, 1.0)

    @cached_property
    def index(self) -> dict[str, int]:
        """Node name → index (built on first use)."""
        return {name: i for i, name in enumerate(self.nodes)}

    def node_index(self, node: str | int) -> int:
        """The index of ``node`` (a name, or an index checked to be in range)."""
        if isinstance(node, str):
            try:
                return self.index[node]
            except KeyError:
                raise GraphError(f"unknown node {node!r}: it is in no edge of the graph") from None
        if isinstance(node, bool) or not isinstance(node, int | np.integer):
            raise GraphError(f"node must be a name or an index, got {node!r}")
        if not 0 <= int(node) < self.n:
            raise GraphError(f"node index {node} is outside 0..{self.n - 1}")
        return int(node)

    def edges(self) -> list[tuple[str, str, float]]:
        """The edges as ``(source, target, weight)`` with names, in stored order."""
        names = self.nodes
        return [
            (names[s], names[t], float(w))
            for s, t, w in zip(
                self.src.tolist(), self.dst.tolist(), self.weight.tolist(), strict=True
            )
        ]

    # -- constructors ------------------------------------------------------------------
    @classmethod
    def from_edges(
        cls, edges: Iterable[tuple[str, str, float]], nodes: Sequence[str] = ()
    ) -> Graph:
        """A graph from ``(source, target, weight)`` triples of node names.

        Nodes are numbered in the order of ``nodes`` (extra, e.g. isolated, nodes), then
        of first appearance in the edges.
        """
        index: dict[str, int] = {}
        for name in nodes:
            _check_name(name)
            index.setdefault(name, len(index))
        src: list[int] = []
        dst: list[int] = []
        weight: list[float] = []
        for k, (s, t, w) in enumerate(edges):
            _check_name(s, f"edge {k} source")
            _check_name(t, f"edge {k} target")
            src.append(index.setdefault(s, len(index)))
            dst.append(index.setdefault(t, len(index)))
            weight.append(w)
        return cls.from_arrays(
            tuple(index),
            np.asarray(src, dtype=np.int64),
            np.asarray(dst, dtype=np.int64),
            np.asarray(weight, dtype=np.float64),
        )

    @classmethod
    def from_arrays(
        cls,
        nodes: Sequence[str],
        src: NDArray[np.integer],
        dst: NDArray[np.integer],
        weight: NDArray[np.floating],
    ) -> Graph:
        """A graph from index arrays, validated with vectorised checks (no Python loop
        over edges), so that it scales to millions of edges."""
        names = tuple(nodes)
        n = len(names)
        src_a, dst_a = np.asarray(src), np.asarray(dst)
        w = np.array(weight, dtype=np.float64)
        if not (src_a.ndim == dst_a.ndim == w.ndim == 1):
            raise GraphError("src, dst and weight must be one-dimensional arrays")
        if not src_a.shape[0] == dst_a.shape[0] == w.shape[0]:
            raise GraphError(
                f"src, dst and weight differ in length ({src_a.shape[0]}, "
                f"{dst_a.shape[0]}, {w.shape[0]})"
            )
        if n >= 2**31:
            raise GraphError(f"{n} nodes exceed int32 indices")
        for label, arr in (("src", src_a), ("dst", dst_a)):
            if arr.size and not np.issubdtype(arr.dtype, np.integer):
                raise GraphError(f"{label} must hold integer node indices, got {arr.dtype}")
            bad = np.flatnonzero((arr < 0) | (arr >= n)) if arr.size else np.empty(0, np.intp)
            if bad.size:
                k = int(bad[0])
                raise GraphError(f"edge {k}: {label} index {int(arr[k])} is outside 0..{n - 1}")
        s32 = src_a.astype(np.int32)  # copies: the graph owns its arrays
        d32 = dst_a.astype(np.int32)
        _check_edges(names, s32, d32, w)
        if s32.size > 1 and np.any(s32[1:] < s32[:-1]):
            order = np.argsort(s32, kind="stable")
            s32, d32, w = s32[order], d32[order], w[order]
        out = np.bincount(s32, weights=w, minlength=n).astype(np.float64)
        over = np.flatnonzero(out > 1.0 + TOLERANCE)
        if over.size:
            i = int(over[np.argmax(out[over])])
            raise GraphError(
                f"source {names[i]!r}: outgoing weights sum to {float(out[i])!r} > 1 "
                f"(at most 1, tolerance {TOLERANCE:g}; the rest is the source's originality)"
            )
        near = np.flatnonzero(out > 1.0)
        if near.size:  # within the tolerance: scale those rows to exactly 1
            w = w.copy()
            scale = np.ones(n)
            scale[near] = 1.0 / out[near]
            w *= scale[s32]
            out[near] = 1.0
        for arr in (s32, d32, w, out):
            arr.flags.writeable = False  # a frozen graph: matrices built on it share these
        return cls(names, s32, d32, w, out)


def _check_name(name: object, what: str = "node") -> None:
    if not isinstance(name, str) or not name:
        raise GraphError(f"{what} must be a non-empty name, got {name!r}")


def _check_edges(names: tuple[str, ...], src: IndexArray, dst: IndexArray, w: FloatArray) -> None:
    """Weights finite and ≥ 0, no self-loops; the first offending edge is named."""
    bad = np.flatnonzero(~np.isfinite(w))
    if bad.size:
        k = int(bad[0])
        raise GraphError(
            f"edge {k} ({names[src[k]]!r} → {names[dst[k]]!r}): "
            f"weight {float(w[k])!r} is not finite"
        )
    bad = np.flatnonzero(w < 0)
    if bad.size:
        k = int(bad[0])
        raise GraphError(
            f"edge {k} ({names[src[k]]!r} → {names[dst[k]]!r}): negative weight {float(w[k])!r}"
        )
    bad = np.flatnonzero(src == dst)
    if bad.size:
        k = int(bad[0])
        raise GraphError(
            f"edge {k}: self-loop {names[src[k]]!r} → itself (what a node keeps is its "
            "originality, 1 − its out-weights, not an edge)"
        )


def random_graph(
    n: int,
    m: int,
    rng: np.random.Generator,
    *,
    low: float = 0.5,
    high: float = 0.9,
    names: Sequence[str] | None = None,
) -> Graph:
    """A seeded random graph for tests and benchmarks: ``m`` edges among ``n`` nodes.

    Sources are uniform (so out-degrees are about Poisson(m/n)), targets uniform among the
    *other* nodes (no self-loops; cycles abound), raw weights uniform in [0.01, 1.01), and
    each source's weights scaled so that they sum to ``U(low, high)``: every node keeps
    between ``1 − high`` and ``1 − low`` of its credit. Nodes are named ``n0, n1, …``
    unless ``names`` are given.
    """
    if n < 2 or m < 0:
        raise GraphError(f"need n ≥ 2 nodes and m ≥ 0 edges, got n={n}, m={m}")
    if not 0.0 <= low <= high <= 1.0:
        raise GraphError(f"need 0 ≤ low ≤ high ≤ 1, got low={low}, high={high}")
    src = np.sort(rng.integers(0, n, m, dtype=np.int64)).astype(np.int32)
    dst = ((src + 1 + rng.integers(0, n - 1, m, dtype=np.int64)) % n).astype(np.int32)
    raw = rng.random(m) + 0.01
    total = np.bincount(src, weights=raw, minlength=n)
    target = rng.uniform(low, high, n)
    weight = raw * (target / np.where(total > 0, total, 1.0))[src]
    labels = tuple(names) if names is not None else tuple(f"n{i}" for i in range(n))
    return Graph.from_arrays(labels, src, dst, weight)
