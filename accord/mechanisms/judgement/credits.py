"""Distilled human judgement: score lists against a jury, fit jury-only credits, and fit
the weights of the submissions whose pooled list best matches the jury.

Source: Vitalik Buterin, "AI as the engine, humans as the steering wheel" (2025) and
the deep-funding contests (``deepfunding.org``). The jury gives a few samples
``(a, b, c)``: "``b`` deserves ``e^c`` times the credit of ``a``". A list ``x`` costs

    ``cost(x) = Σ_s (log x[b_s] − log x[a_s] − c_s)²``

exactly as the deep-funding scoring computes it (the normalisation of ``x`` cancels in
each difference, since ``a`` and ``b`` share a parent).

**Jury-only credits** (:func:`jury_credits`). The baseline a submission must beat: the
log-credits ``y`` minimising ``Σ (y_b − y_a − c)²``, i.e. least squares on the graph
whose edges are the samples (Hodge rank, Jiang, Lim, Yao & Ye, Math. Programming 127,
2011; the same estimator as a Bradley–Terry fit with Gaussian noise). The normal
equations are ``L y = Dᵀc`` with ``D`` the signed sample–item incidence matrix and
``L = DᵀD`` the graph Laplacian. ``y`` is defined up to one constant per connected
component; we take the minimum-norm solution (mean log-credit 0 in each component) by
grounding one item per component, solving the reduced (positive definite) sparse system
and centring, then normalise shares to sum to 1 per parent. Items of one parent in
different components have no jury ratio between them: the equal-geometric-mean split
between components is a convention, reported in :attr:`Credits.components`. With
``ridge = λ > 0`` the system is ``(L + λI) y = Dᵀc`` (shrinks towards equal shares).

**The fit** (:func:`fit`): weights over submissions on the simplex minimising the
pooled list's cost, solved exactly (:mod:`accord.mechanisms.judgement.fitting`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse import identity as sparse_identity
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import spsolve

from accord.mechanisms.judgement.data import (
    Item,
    JudgementInputError,
    Jury,
    Submission,
    check_covers,
    log_matrix,
)
from accord.mechanisms.judgement.fitting import Fit, fit_geometric, fit_linear

Array = npt.NDArray[np.float64]
Index = npt.NDArray[np.intp]
Pooling = Literal["geometric", "linear"]


def cost(log_x: Array, a: Index, b: Index, c: Array) -> float:
    """``Σ (log x[b] − log x[a] − c)²`` for log-credits ``log_x`` indexed by item."""
    r = log_x[b] - log_x[a] - c
    return float(r @ r)


def score(jury: Jury, submission: Submission) -> float:
    """The cost of one submitted list against the jury (unknown repos are an error)."""
    check_covers(jury, submission)
    items, a, b, c = jury.arrays()
    return cost(log_matrix([submission], items)[:, 0], a, b, c)


@dataclass(frozen=True)
class Credits:
    """Jury-only credits: ``log_credits`` (min-norm least squares), ``shares`` per parent,
    their cost and the number of connected components of the comparison graph."""

    items: tuple[Item, ...]
    log_credits: Array
    shares: dict[Item, float]
    cost: float
    components: int


def laplacian_system(n: int, a: Index, b: Index, c: Array) -> tuple[csr_matrix, Array]:
    """``(L, Dᵀc)``: ``L = DᵀD`` with ``D[s, a_s] = −1, D[s, b_s] = +1``."""
    m = len(c)
    rows = np.concatenate([np.arange(m), np.arange(m)])
    cols = np.concatenate([a, b])
    vals = np.concatenate([-np.ones(m), np.ones(m)])
    d = coo_matrix((vals, (rows, cols)), shape=(m, n)).tocsr()
    return csr_matrix(d.T @ d), np.asarray(d.T @ c, dtype=np.float64)


def solve_log_credits(
    n: int, a: Index, b: Index, c: Array, ridge: float = 0.0
) -> tuple[Array, int]:
    """Least-squares log-credits for ``n`` items and the number of components (see the
    module docstring). ``ridge > 0`` adds ``ridge·‖y‖²``."""
    if ridge < 0 or not np.isfinite(ridge):
        raise ValueError(f"ridge must be a finite number >= 0, got {ridge!r}")
    lap, rhs = laplacian_system(n, a, b, c)
    count, label = connected_components(lap, directed=False)
    if ridge > 0:
        system = (lap + ridge * sparse_identity(n, format="csr")).tocsc()
        return np.asarray(spsolve(system, rhs), dtype=np.float64).reshape(n), int(count)
    y = np.zeros(n)
    grounded = np.zeros(n, dtype=bool)
    grounded[np.unique(label, return_index=True)[1]] = True  # first item of each component
    free = np.flatnonzero(~grounded)
    if len(free):
        reduced = lap[free][:, free].tocsc()
        y[free] = np.asarray(spsolve(reduced, rhs[free]), dtype=np.float64).reshape(-1)
    sizes = np.bincount(label, minlength=count)
    y -= (np.bincount(label, weights=y, minlength=count) / sizes)[label]
    return y, int(count)


def shares_from_log(items: Sequence[Item], log_x: Array) -> dict[Item, float]:
    """``exp(log_x)`` normalised to sum to 1 per parent (a stable softmax per parent)."""
    out: dict[Item, float] = {}
    parents = sorted({p for p, _ in items})
    for parent in parents:
        idx = [i for i, (p, _) in enumerate(items) if p == parent]
        z = log_x[idx] - log_x[idx].max()
        e = np.exp(z)
        for i, v in zip(idx, e / e.sum(), strict=True):
            out[items[i]] = float(v)
    return out


def jury_credits(jury: Jury, ridge: float = 0.0) -> Credits:
    """Fit one credit list to the jury alone (see the module docstring)."""
    items, a, b, c = jury.arrays()
    y, components = solve_log_credits(len(items), a, b, c, ridge)
    return Credits(items, y, shares_from_log(items, y), cost(y, a, b, c), components)


@dataclass(frozen=True)
class JudgedFit:
    """:class:`~accord.mechanisms.judgement.fitting.Fit` with the submissions' names."""

    names: tuple[str, ...]
    fit: Fit

    @property
    def weights(self) -> dict[str, float]:
        return dict(zip(self.names, self.fit.weights.tolist(), strict=True))

    @property
    def costs(self) -> dict[str, float]:
        return dict(zip(self.names, self.fit.costs.tolist(), strict=True))

    @property
    def combined_cost(self) -> float:
        return self.fit.cost


def fit(jury: Jury, submissions: Sequence[Submission], pooling: Pooling = "geometric") -> JudgedFit:
    """Weights over ``submissions`` (names must be distinct) whose pool best fits the jury."""
    if not submissions:
        raise JudgementInputError("need at least one submission")
    names = tuple(s.name for s in submissions)
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise JudgementInputError(f"submission name {dup!r} is given twice")
    for sub in submissions:
        check_covers(jury, sub)
    items, a, b, c = jury.arrays()
    logs = log_matrix(submissions, items)
    if pooling == "geometric":
        result = fit_geometric(logs[b] - logs[a], c)
    elif pooling == "linear":
        result = fit_linear(np.exp(logs[a]), np.exp(logs[b]), c)
    else:
        raise ValueError(f"pooling must be 'geometric' or 'linear', got {pooling!r}")
    return JudgedFit(names, result)


def pooled_log(logs: Array, weights: Array) -> Array:
    """The geometric pool's log-credits ``Σ_j w_j log x_j`` (up to a constant per parent)."""
    return np.asarray(logs @ weights, dtype=np.float64)
