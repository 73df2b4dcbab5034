"""Deep funding: credit entering a root propagates down the dependency graph.

**The rule** (deep funding, Buterin, "Deep funding" (2024), and the
``deepfunding/dependency-graph`` README): a unit of credit entering node ``i`` stays
there in the proportion ``o_i = 1 − Σ_j w_ij`` (its originality) and flows on to each
dependency ``j`` in the proportion ``w_ij``, recursively. Node ``i``'s share of what
enters the root ``r`` is therefore the sum over every path ``r → … → i`` of the product
of the edge weights along it, times ``o_i``. Written with the *flow* ``s_i`` (all the
credit that ever passes through ``i``, the sum over paths),

    s = e_r + Wᵀ s,   i.e.   (I − Wᵀ) s = e_r,        share_i = o_i · s_i,

where ``W_ij = w_ij`` and ``e_r`` is the unit vector of the root. On a cycle the paths
are infinitely many and the sum is a geometric series (``a → b`` of weight ``w`` and
``b → a`` of ``v``: ``s_a = 1/(1 − wv)``, ``s_b = w/(1 − wv)``); the linear system sums
it without enumerating anything. When every path ends (every credit eventually stays
somewhere) the shares sum to 1 exactly: ``Σ o_i s_i = 1ᵀs − 1ᵀWᵀs = 1ᵀ(I − Wᵀ)s = 1``.

**Singular graphs.** ``I − Wᵀ`` is singular exactly when the root reaches a *closed*
strongly connected set in which every node keeps nothing and passes everything to the
others (a Markov chain's closed class: ``W`` restricted to it is stochastic). Credit
entering it circulates for ever. :class:`SingularGraph` names its nodes.

**Solvers.** ``W`` is a CSR matrix built straight from the graph's source-sorted arrays
(no sort, no COO conversion); ``Wᵀ`` is its zero-copy CSC transpose.

* ``neumann``: the fixed point ``s ← e_r + Wᵀ s`` summed as ``s_k = Σ_{j≤k} (Wᵀ)^j e_r``
  (Neumann series; Varga, *Matrix Iterative Analysis*, §3.1). The increments
  ``r_k = (Wᵀ)^k e_r`` are non-negative, so ``‖r_k‖₁`` is the credit still in flight,
  and the error of the partial sum is exactly ``s − s_k = (I − Wᵀ)⁻¹ r_{k+1}``:
  ``‖s − s_k‖₁ ≤ C · ‖r_{k+1}‖₁`` with ``C ≥ ‖(I − Wᵀ)⁻¹‖₁``. The loop stops when that
  bound is at most ``tol`` (default ``1e-12``). ``C`` comes from
  :func:`inverse_norm_bound`: ``1/(1 − ρ)`` when every out-weight sum is at most
  ``ρ < 1`` (``‖Wᵀ‖₁ = ρ``), so with ρ ≤ 0.9 the credit in flight shrinks by at least
  0.9 per step and the loop takes at most ``log(tol(1 − ρ))/log ρ ≈ 284`` steps (on a
  random graph with sums in [0.5, 0.9] it takes 84, each one sparse product, and 30 with
  the certified geometric extrapolation of :func:`_neumann`).
* ``spsolve``: a sparse LU of ``I − Wᵀ`` (SuperLU) on the nodes the root reaches; fast
  on tree-like dependency graphs, hopeless on large random ones (fill-in: 1.5 s at 3,000
  random nodes, 71 s at 10,000; ``benchmarks/bench_deepfund.py --lu-sizes``).
* ``gmres``: restarted GMRES on the same operator, refined until the bound holds.

``auto`` takes ``neumann`` whenever ``C`` is finite (the credit provably leaks within
64 steps from every node) and the guaranteed rate certifies ``tol`` within
``NEUMANN_BUDGET`` steps; otherwise it restricts to the reached nodes, checks for a
closed class that keeps nothing (an error) and solves by ``spsolve`` (up to
``LU_MAX_NODES`` reached nodes) or ``gmres``. Every result
carries ``error_bound``, a bound on ``‖s − ŝ‖₁`` (exact arithmetic; floating-point
rounding adds about 1e-16 relative).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
import scipy.sparse.linalg as spla

from accord.mechanisms.deepfund.graph import TOLERANCE, FloatArray, Graph, GraphError, IndexArray

Method = Literal["auto", "neumann", "spsolve", "gmres"]
METHODS: tuple[Method, ...] = ("auto", "neumann", "spsolve", "gmres")

DEFAULT_TOL = 1e-12
EXTRAPOLATE_BELOW = 1e-3
"""Try the geometric extrapolation once the plain error bound is below this."""
NEUMANN_BUDGET = 5_000
"""``auto`` sums the series only if its rate certifies ``tol`` within this many steps."""
LU_MAX_NODES = 20_000
"""``auto`` factorises at most this many reached nodes; beyond, it uses GMRES."""
SAFETY = 1.0 + 1e-12
"""Relative inflation of the computed ``ρ_j`` against rounding (products are exact to
about 1e-16 relative per step)."""
BOUND_STEPS = 64
"""How many steps :func:`inverse_norm_bound` looks ahead for every path to leak."""

__all__ = [
    "DEFAULT_TOL",
    "METHODS",
    "InverseBound",
    "Propagation",
    "SingularGraph",
    "closed_classes",
    "inverse_norm_bound",
    "propagate",
    "weight_matrix",
]


class SingularGraph(GraphError):
    """Credit entering a closed cycle that keeps nothing never settles."""


@dataclass(frozen=True, eq=False)
class Propagation:
    """The result of propagating one unit of credit from ``root``."""

    graph: Graph
    root: int
    flow: FloatArray
    """``s_i``: all the credit that passes through node ``i``."""
    shares: FloatArray
    """``o_i · s_i``: what node ``i`` keeps; sums to 1."""
    method: str
    iterations: int
    error_bound: float
    """A bound on ``‖s − ŝ‖₁`` (``inf`` if none is known)."""

    @property
    def reached(self) -> IndexArray:
        """Indices of the nodes credit reaches (``s_i > 0``), the root first."""
        idx = np.flatnonzero(self.flow > 0).astype(np.int32)
        return np.concatenate(([self.root], idx[idx != self.root])).astype(np.int32)

    def credits(self) -> dict[str, float]:
        """``{node: share}`` over the reached nodes, the root first, then in graph order."""
        names, shares = self.graph.nodes, self.shares
        return {names[i]: float(shares[i]) for i in self.reached.tolist()}


def weight_matrix(graph: Graph) -> sp.csr_matrix:
    """``W`` (``W_ij = w_ij``) as CSR, built from the source-sorted arrays without a sort.

    It shares the graph's (read-only) arrays: copy it before anything that rewrites them
    in place, such as ``sum_duplicates``.
    """
    n = graph.n
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(graph.src, minlength=n), out=indptr[1:])
    return sp.csr_matrix((graph.weight, graph.dst, indptr), shape=(n, n))


class InverseBound(NamedTuple):
    """``norm ≥ ‖(I − Wᵀ)⁻¹‖₁`` (``inf`` if none was found) and a per-step ``rate``:
    ``‖(Wᵀ)^k‖₁ ≤ rate^(k − m)``, so credit in flight shrinks at least that fast."""

    norm: float
    rate: float
    m: int

    def steps(self, tol: float) -> float:
        """Steps the fixed point needs at most to certify ``tol`` (``inf`` if unknown)."""
        if not math.isfinite(self.norm) or self.rate <= 0.0:
            return math.inf if not math.isfinite(self.norm) else float(self.m)
        return self.m + max(0.0, math.log(tol / self.norm) / math.log(self.rate))


def inverse_norm_bound(
    w: sp.csr_matrix, out_weight: FloatArray, steps: int = BOUND_STEPS
) -> InverseBound:
    """An upper bound ``C`` on ``‖(I − Wᵀ)⁻¹‖₁`` and the rate the series converges at.

    ``u_m = W^m 1`` is, per node, the credit still in flight after ``m`` steps from it,
    so ``ρ_m = max u_m = ‖(Wᵀ)^m‖₁``. If ``ρ_m < 1`` then ``(I − Wᵀ)⁻¹ =
    Σ_{j<m}(Wᵀ)^j · Σ_k (Wᵀ)^{mk}`` gives ``C = (Σ_{j<m} ρ_j) / (1 − ρ_m)`` and the rate
    ``ρ_m^{1/m}``. With ``ρ = ρ_1 < 0.999`` this is ``1/(1 − ρ)`` and ``ρ`` at no cost;
    otherwise (some node keeps nothing, e.g. a root that splits everything among seeds)
    it takes up to ``steps`` products and keeps the smallest bound. Each ``ρ_j`` is
    inflated by the relative :data:`SAFETY` margin, so floating-point rounding in the
    products cannot make the bound too small.
    """
    rho = float(out_weight.max(initial=0.0)) * SAFETY
    if rho < 0.999:
        return InverseBound(1.0 / (1.0 - rho), rho, 1)
    best = InverseBound(math.inf, 1.0, steps)
    acc, u = 1.0, out_weight
    for m in range(2, steps + 1):
        acc += float(u.max(initial=0.0)) * SAFETY
        u = w @ u
        top = float(u.max(initial=0.0)) * SAFETY
        if top < 1.0 - TOLERANCE:
            if acc / (1.0 - top) < best.norm:
                best = InverseBound(acc / (1.0 - top), top ** (1.0 / m), m)
            if top <= 0.5:
                break
    return best


def closed_classes(graph: Graph, nodes: IndexArray | None = None) -> list[list[str]]:
    """The closed cycles that keep nothing among ``nodes`` (default: all), by name.

    A strongly connected set of two or more nodes is one when each of its nodes sends at
    least ``1 − TOLERANCE`` of its credit to other nodes of the set.
    """
    w = weight_matrix(graph)
    w = w[nodes][:, nodes].tocsr() if nodes is not None else w.copy()
    w.sum_duplicates()  # csgraph's strong components can loop on unsorted indices
    names = graph.nodes if nodes is None else tuple(graph.nodes[i] for i in nodes.tolist())
    count, labels = csgraph.connected_components(w, directed=True, connection="strong")
    coo = w.tocoo()
    inside = labels[coo.row] == labels[coo.col]
    kept_inside = np.bincount(coo.row[inside], weights=coo.data[inside], minlength=w.shape[0])
    leaks = kept_inside < 1.0 - TOLERANCE
    size = np.bincount(labels, minlength=count)
    leaky = np.bincount(labels, weights=leaks.astype(np.float64), minlength=count) > 0
    bad = np.flatnonzero((size >= 2) & ~leaky)
    return [[names[i] for i in np.flatnonzero(labels == c).tolist()] for c in bad.tolist()]


def _singular_error(classes: list[list[str]]) -> SingularGraph:
    members = classes[0]
    shown = ", ".join(repr(x) for x in members[:5]) + (" …" if len(members) > 5 else "")
    return SingularGraph(
        f"singular graph: the cycle through {shown} ({len(members)} nodes) keeps nothing: "
        "each of its nodes passes all its credit on to the others, so credit entering it "
        "never settles; give one of them originality (out-weights summing to less than 1)"
    )


def propagate(
    graph: Graph,
    root: str | int,
    *,
    method: Method = "auto",
    tol: float = DEFAULT_TOL,
    max_iter: int = 100_000,
) -> Propagation:
    """Propagate one unit of credit from ``root``; see the module docstring."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: one of {', '.join(METHODS)}")
    if not (isinstance(tol, float | int) and tol > 0):
        raise ValueError(f"tol must be a positive number, got {tol!r}")
    r = graph.node_index(root)
    w = weight_matrix(graph)
    if method in ("auto", "neumann"):
        bound = inverse_norm_bound(w, graph.out_weight)
        fast = bound.steps(tol) <= NEUMANN_BUDGET
        if math.isfinite(bound.norm) and (fast or method == "neumann"):
            flow, its, err = _neumann(w, r, bound.norm, tol, max_iter)
            return _result(graph, r, flow, "neumann", its, err)
    w = w.copy()  # the graph's arrays are shared (and read-only)
    w.sum_duplicates()  # canonical (sorted, parallel edges added) for csgraph and LU
    reach = np.sort(csgraph.breadth_first_order(w, r, directed=True, return_predecessors=False))
    reach = reach.astype(np.int32)
    classes = closed_classes(graph, reach)
    if classes:
        raise _singular_error(classes)
    if method == "neumann":
        raise GraphError(
            "neumann needs a bound on the inverse (every path leaking within "
            f"{BOUND_STEPS} steps); use method 'spsolve' or 'auto'"
        )
    sub = w[reach][:, reach].tocsr()
    local_root = int(np.searchsorted(reach, r))
    if method == "gmres" or (method == "auto" and reach.size > LU_MAX_NODES):
        sub_bound = inverse_norm_bound(sub, np.asarray(sub.sum(axis=1)).ravel())
        local, its, err = _gmres(sub, local_root, sub_bound.norm, tol)
        name = "gmres"
    else:
        local, err = _spsolve(sub, local_root)
        its, name = 1, "spsolve"
    flow = np.zeros(graph.n)
    flow[reach] = local
    return _result(graph, r, flow, name, its, err)


def _result(
    graph: Graph, root: int, flow: FloatArray, method: str, its: int, err: float
) -> Propagation:
    return Propagation(graph, root, flow, graph.originality * flow, method, its, err)


def _neumann(
    w: sp.csr_matrix, root: int, bound: float, tol: float, max_iter: int
) -> tuple[FloatArray, int, float]:
    """Sum the series; after each step also try the geometric extrapolation of its tail.

    At step ``k`` (``s = s_{k-1}``, ``prev = r_{k-1}``, ``r = r_k``) the candidate
    ``ŝ = s_{k-2} + t·r_{k-1}`` with ``t = 1/(1 − λ)``, ``λ = ‖r_k‖₁/‖r_{k-1}‖₁``, sums the
    tail as if it were geometric (Aitken's δ², once the increments have settled on the
    dominant eigenvector). Its residual is ``(1 − t)·r_{k-1} + t·r_k`` (no extra product),
    so it is certified by the same bound, and taken only if that bound is within ``tol``.
    """
    wt = w.T  # CSC view of the same arrays
    prev = np.zeros(w.shape[0])
    prev[root] = 1.0
    s = prev.copy()
    prev_mass = 1.0
    for k in range(1, max_iter + 1):
        r = wt @ prev
        mass = float(r.sum())  # r ≥ 0: its sum is its 1-norm
        err = bound * mass  # the error of s_{k-1} is (I − Wᵀ)⁻¹ r_k
        if err <= tol:  # s_k's error, (I − Wᵀ)⁻¹ r_{k+1}, is no larger: ‖Wᵀ‖₁ ≤ 1
            s += r
            return s, k, err
        lam = mass / prev_mass
        if k >= 2 and err <= EXTRAPOLATE_BELOW and lam < 1.0:
            t = 1.0 / (1.0 - lam)
            res = r * t
            res -= (t - 1.0) * prev
            err_x = bound * float(np.abs(res).sum())
            if err_x <= tol:
                s += (t - 1.0) * prev
                return s, k, err_x
        s += r
        prev, prev_mass = r, mass
    raise GraphError(f"neumann: no convergence to {tol:g} in {max_iter} steps")


def _residual_norm(wt: sp.csc_matrix, x: FloatArray, root: int) -> float:
    res = wt @ x - x
    res[root] += 1.0
    return float(np.abs(res).sum())


def _spsolve(w: sp.csr_matrix, root: int) -> tuple[FloatArray, float]:
    """LU of ``I − Wᵀ``; ``‖(I − Wᵀ)⁻¹‖₁ = max((I − W)⁻¹ 1)`` from the same factors."""
    n = w.shape[0]
    a = (sp.identity(n, format="csc") - w.T).tocsc()
    try:
        lu = spla.splu(a)
    except RuntimeError as exc:  # exactly singular: closed_classes missed it by rounding
        raise SingularGraph(f"singular graph: {exc}") from None
    e = np.zeros(n)
    e[root] = 1.0
    x = lu.solve(e)
    norm = float(lu.solve(np.ones(n), trans="T").max())
    return x, norm * _residual_norm(w.T, x, root)


def _gmres(
    w: sp.csr_matrix, root: int, bound: float, tol: float, rounds: int = 8
) -> tuple[FloatArray, int, float]:
    """GMRES(50) with iterative refinement until ``C · ‖residual‖₁ ≤ tol``."""
    n = w.shape[0]
    wt = w.T
    op = spla.LinearOperator((n, n), matvec=lambda v: v - wt @ v, dtype=np.float64)
    x = np.zeros(n)
    b = np.zeros(n)
    b[root] = 1.0
    its = 0
    err = math.inf
    for _ in range(rounds):
        res = b - op.matvec(x)
        err = bound * float(np.abs(res).sum())
        if err <= tol:
            break
        dx, _info = spla.gmres(op, res, rtol=1e-14, atol=0.0, restart=50)
        x = x + dx
        its += 1
    return x, its, err
