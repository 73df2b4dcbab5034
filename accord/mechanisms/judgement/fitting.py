"""The fit of distilled human judgement: simplex weights over submissions, solved exactly.

Given ``m`` jury samples ``(a_s, b_s, c_s)`` and ``k`` submitted lists, find weights
``w ≥ 0, Σ w = 1`` whose pooled list best fits the jury.

**Geometric pooling** (the deep-funding scoring code combines lists in log space):
``log x = Σ_j w_j log x_j``. Then ``log x[b] − log x[a] = (A w)_s`` with column
``A[:, j] = log x_j[b_s] − log x_j[a_s]``, and the cost is the convex quadratic
``f(w) = ‖A w − c‖²``. Per-parent normalising constants cancel inside each difference.

*Exact solution by NNLS.* On the simplex ``c = c·(1ᵀw)``, so ``f(w) = ‖B w‖²`` with
``B = A − c 1ᵀ``: the nearest point to the origin in the convex hull of ``B``'s columns
(Wolfe's minimum-norm-point problem, Math. Programming 11, 1976). Let ``u ≥ 0`` minimise
``p(u) = ‖B u‖² + (1ᵀu − 1)²``. Writing ``u = t w`` (``w`` in the simplex, ``t ≥ 0``),
``p = t² q + (1 − t)²`` with ``q = ‖B w‖²``, minimised at ``t = 1/(1+q)`` with value
``q/(1+q)``, increasing in ``q``. So ``w* = u*/1ᵀu*`` exactly, no penalty parameter:
one non-negative least-squares problem (Lawson & Hanson, *Solving Least Squares
Problems*, 1974, ch. 23: the same reduction solves least-distance programming). It is
solved from the ``k × k`` Gram matrix ``M = BᵀB + 11ᵀ`` built once: with
``M = V Λ Vᵀ``, ``R = Λ^½ Vᵀ`` and ``d = Λ^-½ Vᵀ1`` give ``‖R u − d‖² = p(u) + const``
(``1`` lies in the range of ``M``), and :func:`scipy.optimize.nnls` (Lawson–Hanson
active set) solves ``k × k`` in milliseconds. The optimum satisfies the KKT conditions
of the simplex QP, checked by :func:`kkt_violation`.

**Linear pooling** ``x = Σ_j w_j x_j`` (shares per parent) makes the residual
``log(X_b w) − log(X_a w) − c`` non-linear and the cost non-convex in general.
:func:`fit_linear` runs Gauss–Newton with simplex constraints: each step solves the
linearised problem *exactly* with :func:`simplex_least_squares` and a backtracking line
search keeps the cost decreasing (the iterates stay feasible: they are convex
combinations). It starts from the geometric fit and from the best single list and keeps
the better local optimum: a stationary point, not a certified global one.

**Copies.** Columns that are identical on the samples are one variable: the jury cannot
tell the lists apart. The solver sees the distinct columns in a canonical (sorted)
order, so the answer does not depend on the order or number of copies, and a group's
weight is split equally among its copies (:attr:`Fit.groups`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import nnls

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Fit:
    """Weights per submission (sum 1), the pooled list's cost, and the copy groups:
    ``groups[g]`` are the submissions sharing distinct column ``g``, whose weight
    ``group_weights[g]`` they split equally."""

    weights: Array
    cost: float
    costs: Array
    groups: tuple[tuple[int, ...], ...]
    group_weights: Array
    pooling: str


def _check(a: Array, c: Array) -> None:
    if a.ndim != 2 or c.ndim != 1 or a.shape[0] != c.shape[0]:
        raise ValueError(f"need A of shape (m, k) and c of shape (m,), got {a.shape}, {c.shape}")
    if a.shape[1] == 0:
        raise ValueError("need at least one submission")
    if not (np.isfinite(a).all() and np.isfinite(c).all()):
        raise ValueError("A and c must be finite")


def residual_gram(a: Array, c: Array) -> Array:
    """``BᵀB`` with ``B = A − c 1ᵀ``: ``(BᵀB)_jj`` is list ``j``'s cost alone and
    ``wᵀBᵀBw = ‖Aw − c‖²`` for every ``w`` with ``Σ w = 1``."""
    b = a - c[:, None]
    return np.asarray(b.T @ b, dtype=np.float64)


def simplex_nnls(gram: Array) -> Array:
    """``argmin wᵀ gram w`` over the simplex, ``gram = BᵀB`` positive semidefinite:
    the NNLS reduction of the module docstring, on the ``k × k`` matrix alone."""
    k = gram.shape[0]
    if k == 1:
        return np.ones(1)
    scale = float(np.max(np.diag(gram))) or 1.0
    m = gram / scale + 1.0  # the minimiser is invariant to scaling B; keeps 11ᵀ visible
    lam, v = np.linalg.eigh(m)
    keep = lam > lam[-1] * k * np.finfo(np.float64).eps
    root = np.sqrt(np.where(keep, lam, 1.0))
    r = np.where(keep, root, 0.0)[:, None] * v.T
    d = np.where(keep, (v.T @ np.ones(k)) / root, 0.0)
    u, _ = nnls(r, d, maxiter=50 * k)
    total = float(u.sum())
    if total <= 0.0:  # cannot happen in exact arithmetic (p(0) = 1 > min p)
        raise ArithmeticError("NNLS returned u = 0")
    return np.asarray(u / total, dtype=np.float64)


def simplex_least_squares(a: Array, c: Array) -> Array:
    """``argmin ‖A w − c‖²`` over ``w ≥ 0, Σ w = 1``, exactly (see the module)."""
    a, c = np.asarray(a, dtype=np.float64), np.asarray(c, dtype=np.float64)
    _check(a, c)
    return simplex_nnls(residual_gram(a, c))


def kkt_violation(a: Array, c: Array, w: Array) -> float:
    """How far ``w`` is from the KKT conditions of ``min ‖Aw − c‖²`` on the simplex,
    relative to the gradient's size: with ``g = 2Aᵀ(Aw − c)`` there must be ``ν`` with
    ``g_j = ν`` where ``w_j > 0`` and ``g_j ≥ ν`` where ``w_j = 0``."""
    g = 2.0 * a.T @ (a @ w - c)
    support = w > 0
    nu = float(np.dot(w, g))  # = ν exactly when stationarity holds on the support
    stationarity = np.abs(g[support] - nu).max(initial=0.0)
    dual = np.maximum(nu - g[~support], 0.0).max(initial=0.0)
    feasible = max(abs(float(w.sum()) - 1.0), float(np.maximum(-w, 0.0).max()))
    scale = max(float(np.abs(g).max()), 2.0 * float(np.linalg.norm(c)) ** 2 / max(len(c), 1))
    return max(float(stationarity), float(dual)) / (scale or 1.0) + feasible


_KEY_ROWS = 64


def _groups(signature: Array) -> tuple[tuple[tuple[int, ...], ...], npt.NDArray[np.intp]]:
    """The copies of each distinct column of ``signature``, and one representative
    column index per group, groups in a canonical order that depends only on the
    columns' contents (by the bytes of their first rows, ties by all their bytes), so
    that the solver's input is the same whatever the order or number of copies."""
    head = np.ascontiguousarray(signature[:_KEY_ROWS].T + 0.0)  # + 0.0: -0.0 equals 0.0
    buckets: dict[bytes, list[int]] = {}
    for j in range(head.shape[0]):
        buckets.setdefault(head[j].tobytes(), []).append(j)
    ordered: list[list[int]] = []
    for key in sorted(buckets):
        members = buckets[key]
        if len(members) == 1 or signature.shape[0] <= _KEY_ROWS:
            ordered.append(members)
            continue
        full: dict[bytes, list[int]] = {}
        for j in members:  # same first rows: compare whole columns
            full.setdefault((signature[:, j] + 0.0).tobytes(), []).append(j)
        ordered.extend(full[k] for k in sorted(full))
    groups = tuple(tuple(g) for g in ordered)
    return groups, np.array([g[0] for g in ordered], dtype=np.intp)


def _spread(k: int, groups: tuple[tuple[int, ...], ...], group_weights: Array) -> Array:
    w = np.zeros(k)
    for members, gw in zip(groups, group_weights, strict=True):
        w[list(members)] = gw / len(members)
    return w


def sample_costs(a: Array, c: Array) -> Array:
    """Cost of each submission alone: ``‖A[:, j] − c‖²``."""
    return np.asarray(((a - c[:, None]) ** 2).sum(axis=0), dtype=np.float64)


def fit_geometric(a: Array, c: Array) -> Fit:
    """The exact geometric-pooling fit from the sample matrix ``A`` (``m × k``)."""
    a, c = np.asarray(a, dtype=np.float64), np.asarray(c, dtype=np.float64)
    _check(a, c)
    groups, first = _groups(a)
    b = np.take(a, first, axis=1)  # distinct columns, canonical order
    b -= c[:, None]  # B = A − c1ᵀ
    gram = np.asarray(b.T @ b, dtype=np.float64)
    gw = simplex_nnls(gram)
    w = _spread(a.shape[1], groups, gw)
    resid = b @ gw  # = A w − c, since Σ w = 1
    costs = np.empty(a.shape[1])
    for g, members in enumerate(groups):
        costs[list(members)] = gram[g, g]
    return Fit(w, float(resid @ resid), costs, groups, gw, "geometric")


def linear_cost(xa: Array, xb: Array, c: Array, w: Array) -> float:
    """Cost of the linear pool ``x = Σ w_j x_j`` on the samples."""
    r = np.log(xb @ w) - np.log(xa @ w) - c
    return float(r @ r)


def _gauss_newton(xa: Array, xb: Array, c: Array, w: Array, iters: int) -> Array:
    f = linear_cost(xa, xb, c, w)
    for _ in range(iters):
        pa, pb = xa @ w, xb @ w
        r = np.log(pb) - np.log(pa) - c
        jac = xb / pb[:, None] - xa / pa[:, None]
        v = simplex_least_squares(jac, jac @ w - r)
        step = v - w
        t = 1.0
        slope = 2.0 * float(r @ (jac @ step))  # directional derivative of f
        if slope >= -1e-15 * max(f, 1e-300):
            break
        while t > 1e-12:
            trial = w + t * step
            ft = linear_cost(xa, xb, c, trial)
            if ft <= f + 1e-4 * t * slope:
                break
            t *= 0.5
        else:
            break
        done = f - ft <= 1e-14 * f
        w, f = trial, ft
        if done:
            break
    return w


def fit_linear(xa: Array, xb: Array, c: Array, iters: int = 200) -> Fit:
    """Linear pooling on the samples: ``xa[s, j] = share_j[a_s]``, ``xb`` likewise
    (shares normalised per parent, all positive). A local optimum; see the module."""
    xa, xb = np.asarray(xa, dtype=np.float64), np.asarray(xb, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    _check(xa, c)
    if xa.shape != xb.shape:
        raise ValueError(f"xa and xb differ in shape: {xa.shape} vs {xb.shape}")
    if not ((xa > 0).all() and (xb > 0).all()):
        raise ValueError("linear pooling needs positive shares")
    k = xa.shape[1]
    groups, first = _groups(np.vstack([xa, xb]))
    da, db = xa[:, first], xb[:, first]
    la, lb = np.log(da), np.log(db)
    kd = da.shape[1]
    costs = sample_costs(np.log(xb) - np.log(xa), c)
    starts = [simplex_least_squares(lb - la, c), np.eye(kd)[int(np.argmin(costs[first]))]]
    best, best_f = starts[0], np.inf
    for start in starts:
        w = _gauss_newton(da, db, c, start, iters)
        f = linear_cost(da, db, c, w)
        if f < best_f:
            best, best_f = w, f
    return Fit(_spread(k, groups, best), best_f, costs, groups, best, "linear")
