"""Wardrop equilibrium and social optimum by Frank–Wolfe, each with a certified gap.

**Wardrop equilibrium** (Wardrop, "Some theoretical aspects of road traffic research",
1952): every path that carries flow of a demand costs the least among that demand's
paths. Beckmann, McGuire & Winsten (*Studies in the Economics of Transportation*, 1956,
ch. 3) showed the equilibria are exactly the minimisers of the convex potential

    Φ(f) = Σ_e ∫₀^{f_e} c_e(s) ds

over feasible flows, whose gradient is the latency vector ``c(f)``. The **social
optimum** minimises ``C(f) = Σ_e f_e·c_e(f_e)``, whose gradient is the marginal cost
``m(f) = c(f) + f·c'(f)`` (so an optimum is a Wardrop equilibrium for ``m``).

Both are solved by the same Frank–Wolfe method over path flows (Frank & Wolfe, "An
algorithm for quadratic programming", 1956): the linear minimisation oracle routes each
demand on its shortest path under the gradient, an exact search along the segment finds
the step, and the **Frank–Wolfe gap**

    gap(f) = ∇F(f)·f − Σ_k D_k·min_{p∈P_k} (Δᵀ∇F(f))_p ≥ F(f) − F*

(convexity: ``F* ≥ F(f) + ∇F(f)·(y − f)`` for the oracle's ``y``) certifies how far the
objective is from its minimum. The solver stops once the gap is below ``tol`` times the
objective's scale. ``method="pairwise"`` (the default) moves flow from each demand's
costliest used path to its shortest one (pairwise Frank–Wolfe, Lacoste-Julien & Jaggi,
"On the global linear convergence of Frank–Wolfe optimization variants", NeurIPS 2015,
demand by demand), which converges linearly where classic Frank–Wolfe (``"classic"``,
the textbook step towards the all-or-nothing assignment) crawls at ``O(1/k)``. Both
return the same certificate; the line search is a root of the directional derivative
(monotone, since ``F`` is convex) found by Brent's method (SciPy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq

from accord.mechanisms.congestion.network import Game

Array = NDArray[np.float64]

__all__ = ["Flow", "evaluate", "optimum", "solve", "wardrop"]

METHODS = ("pairwise", "classic")


@dataclass(frozen=True, eq=False)
class Flow:
    """A feasible flow of a game with its certificate.

    ``kind`` is ``"wardrop"`` (``objective`` is the Beckmann potential) or ``"optimum"``
    (``objective`` is the total cost). ``gap`` bounds ``objective − min objective``
    from above; ``converged`` says whether it met the tolerance within the iterations.
    """

    game: Game
    kind: str
    path_flow: Array
    edge_flow: Array
    objective: float
    gap: float
    iterations: int
    converged: bool

    @cached_property
    def latency(self) -> Array:
        """Each edge's cost per unit at this flow."""
        return self.game.table.latency(self.edge_flow)

    @property
    def total_cost(self) -> float:
        """``C(f) = Σ_e f_e·c_e(f_e)``."""
        return float(np.dot(self.edge_flow, self.latency))

    @property
    def path_cost(self) -> Array:
        """Each path's latency."""
        return np.asarray(self.game.incidence.T @ self.latency, dtype=float)

    @property
    def shortest(self) -> Array:
        """Each demand's least path latency."""
        starts = np.array([m[0] for m in self.game.members], dtype=np.intp)
        return np.asarray(np.minimum.reduceat(self.path_cost, starts), dtype=float)

    @property
    def lower_bound(self) -> float:
        """``objective − gap``: no feasible flow does better."""
        return self.objective - self.gap


def _gap(game: Game, h: Array, pc: Array) -> float:
    starts = np.array([m[0] for m in game.members], dtype=np.intp)
    best = np.minimum.reduceat(pc, starts)
    return float(np.dot(h, pc) - np.dot(game.amounts, best))


def _step(grad: Callable[[Array], Array], f: Array, d: Array, t_max: float) -> float:
    """The minimiser of ``F(f + t·d)`` on ``[0, t_max]`` from its monotone derivative."""

    def slope(t: float) -> float:
        return float(np.dot(grad(f + t * d), d))

    if slope(t_max) <= 0.0:
        return t_max
    if slope(0.0) >= 0.0:
        return 0.0
    return float(brentq(slope, 0.0, t_max, xtol=1e-15 * t_max + 1e-300, rtol=1e-15))


def solve(
    game: Game,
    kind: str,
    *,
    tol: float = 1e-12,
    max_iterations: int = 20_000,
    method: str = "pairwise",
) -> Flow:
    """Minimise the Beckmann potential (``kind="wardrop"``) or the total cost
    (``kind="optimum"``) to a Frank–Wolfe gap of ``tol`` times the objective's scale."""
    if kind not in ("wardrop", "optimum"):
        raise ValueError(f"kind must be 'wardrop' or 'optimum', got {kind!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not 0.0 < tol < 1.0:
        raise ValueError(f"tol must be in (0, 1), got {tol}")
    if type(max_iterations) is not int or max_iterations < 1:
        raise ValueError(f"max_iterations must be a positive int, got {max_iterations!r}")
    table = game.table
    grad = table.latency if kind == "wardrop" else table.marginal
    delta = game.incidence
    members = game.members
    h = np.zeros(len(game.paths))
    pc = delta.T @ grad(np.zeros(len(game.edges)))
    for k, m in enumerate(members):  # all or nothing at zero flow
        h[m[int(np.argmin(pc[m]))]] = game.amounts[k]
    f = delta @ h
    iterations = 0
    converged = False
    while iterations < max_iterations:
        g = grad(f)
        pc = delta.T @ g
        gap = _gap(game, h, pc)
        scale = max(abs(float(np.dot(h, pc))), 1e-12 * game.total_demand)
        if gap <= tol * scale:
            converged = True
            break
        iterations += 1
        if method == "classic":
            y = np.zeros_like(h)
            for k, m in enumerate(members):
                y[m[int(np.argmin(pc[m]))]] = game.amounts[k]
            alpha = _step(grad, f, delta @ y - f, 1.0)
            h = (1.0 - alpha) * h + alpha * y
            f = delta @ h
            continue
        for j, m in enumerate(members):
            if j > 0:  # the first demand sees the gradient just computed
                pc = delta.T @ grad(f)
            sub = pc[m]
            best = m[int(np.argmin(sub))]
            used = m[h[m] > 0.0]
            worst = used[int(np.argmax(pc[used]))]
            if pc[worst] <= pc[best]:
                continue
            t_max = float(h[worst])
            t = _step(grad, f, delta[:, best] - delta[:, worst], t_max)
            h[best] += t
            h[worst] = 0.0 if t >= t_max else h[worst] - t
            f = delta @ h
    return _certified(game, kind, h, iterations, converged)


def _certified(game: Game, kind: str, h: Array, iterations: int, converged: bool) -> Flow:
    table = game.table
    f = game.incidence @ h
    grad = table.latency if kind == "wardrop" else table.marginal
    gap = max(_gap(game, h, game.incidence.T @ grad(f)), 0.0)
    value = table.potential(f) if kind == "wardrop" else f * table.latency(f)
    return Flow(game, kind, h, f, float(value.sum()), gap, iterations, converged)


def evaluate(game: Game, kind: str, path_flow: Array) -> Flow:
    """Certify any feasible path flow (each demand's paths summing to its amount, within
    1e-9): its objective and Frank–Wolfe gap, as :func:`solve` reports them."""
    if kind not in ("wardrop", "optimum"):
        raise ValueError(f"kind must be 'wardrop' or 'optimum', got {kind!r}")
    h = np.asarray(path_flow, dtype=float)
    if h.shape != (len(game.paths),):
        raise ValueError(f"path_flow must have {len(game.paths)} entries, got shape {h.shape}")
    if not np.isfinite(h).all() or (h < 0).any():
        raise ValueError("path_flow must be finite and non-negative")
    routed = np.bincount(game.commodity, weights=h, minlength=len(game.demands))
    if not np.allclose(routed, game.amounts, rtol=1e-9, atol=0.0):
        raise ValueError(
            f"path_flow routes {routed.tolist()}, not the demands {game.amounts.tolist()}"
        )
    return _certified(game, kind, h, 0, False)


def wardrop(
    game: Game, *, tol: float = 1e-12, max_iterations: int = 20_000, method: str = "pairwise"
) -> Flow:
    """The Wardrop equilibrium: the Beckmann potential's minimiser (:func:`solve`)."""
    return solve(game, "wardrop", tol=tol, max_iterations=max_iterations, method=method)


def optimum(
    game: Game, *, tol: float = 1e-12, max_iterations: int = 20_000, method: str = "pairwise"
) -> Flow:
    """The social optimum: the total cost's minimiser (:func:`solve`)."""
    return solve(game, "optimum", tol=tol, max_iterations=max_iterations, method=method)
