"""The dual of optimal routing and its minimisation (see :mod:`accord.mechanisms.routing`).

``g(ν) = Σ_i f_i(A_iᵀν) − (ν − c)ᵀ lb`` over ``ν ≥ c``, with ``f_i`` each pool's optimal
arbitrage value at prices ``ν`` (closed forms in :mod:`accord.mechanisms.routing.closed_forms`,
evaluated per group of like pools), minimised by L-BFGS-B on scaled variables; constant-sum
pools are entropy-smoothed there (Angeris et al., "Optimal Routing for Constant Function
Market Makers", EC 2022, §4; Diamandis et al., "An Efficient Algorithm for Optimal Routing
Through Constant Function Market Makers", FC 2023).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from accord.mechanisms.routing.closed_forms import (
    product_arbitrage,
    sum_arbitrage,
    weighted_arbitrage,
)
from accord.mechanisms.routing.network import FloatView

Array = NDArray[np.float64]

__all__ = ["dual_value", "pool_values", "solve_dual"]

_SMOOTHING = (1e-3,)  # constant-sum smoothing stages (column generation does the rest)
_FLOOR = 1e-9  # lower bound on unvalued prices, relative to their reference


def pool_values(
    view: FloatView, nu: Array, mu: float | None, nu_ref: Array
) -> tuple[float, Array, list[tuple[int, Array]]]:
    """``(Σ f_i, Σ A_i x_i, [(group, net)])`` at prices ``nu`` (smoothed if ``mu``)."""
    total = 0.0
    grad = np.zeros(view.n_tokens)
    nets: list[tuple[int, Array]] = []
    for gi, g in enumerate(view.groups):
        local = nu[g.tokens]
        if g.kind == "product":
            value, net = product_arbitrage(g.reserves, g.gamma, local)
        elif g.kind == "weighted":
            value, net = weighted_arbitrage(g.reserves, g.shape, g.gamma, local)
        else:
            smooth = None if mu is None else mu * g.reserves * nu_ref[g.tokens] + 1e-300
            value, net = sum_arbitrage(g.reserves, g.shape, g.gamma, local, smooth)
        total += float(value.sum())
        grad += np.bincount(g.tokens.ravel(), weights=net.ravel(), minlength=view.n_tokens)
        nets.append((gi, net))
    return total, grad, nets


def dual_value(view: FloatView, c: Array, lb: Array, nu: Array) -> float:
    """``g(ν)``, unsmoothed: an upper bound on the optimum for any ``ν ≥ c``."""
    if (nu < c).any():
        raise ValueError("dual prices must be at least the objective weights c")
    total, _, _ = pool_values(view, nu, None, nu)
    return total - float(np.dot(nu - c, lb))


def solve_dual(
    view: FloatView,
    c: Array,
    lb: Array,
    nu0: Array,
    active: NDArray[np.bool_],
    max_iterations: int,
) -> tuple[list[Array], int, int]:
    """Minimise ``g`` over ``ν ≥ c`` with L-BFGS-B: ``(ν after each smoothing stage,
    iterations, evaluations)``; the last ``ν`` is the answer."""
    has_sum = any(g.kind == "constant_sum" for g in view.groups)
    stages: tuple[float | None, ...] = _SMOOTHING if has_sum else (None,)
    free = np.flatnonzero(active)
    scale = nu0[free]
    lower = np.maximum(c[free], _FLOOR * scale) / scale
    bounds = list(zip(lower.tolist(), [None] * len(free), strict=True))
    z = np.maximum(np.ones(len(free)), lower)
    nu = nu0.copy()
    iterations = evaluations = 0
    found: list[Array] = []
    for mu in stages:
        for _restart in range(3):
            nu[free] = z * scale
            size = abs(pool_values(view, nu, mu, nu0)[0] - float(np.dot(nu - c, lb)))
            size = max(size, 1e-300)

            def fun(zv: Array, mu: float | None = mu, size: float = size) -> tuple[float, Array]:
                v = nu.copy()
                v[free] = zv * scale
                total, grad, _ = pool_values(view, v, mu, nu0)
                value = total - float(np.dot(v - c, lb))
                return value / size, (grad[free] - lb[free]) * scale / size

            res = minimize(
                fun,
                z,
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={
                    "maxiter": max_iterations,
                    "maxcor": 20,
                    "ftol": 1e-15,
                    "gtol": 1e-13,
                },
            )
            z = np.asarray(res.x, dtype=float)
            iterations += int(res.nit)
            evaluations += int(res.nfev)
            if res.nit <= 2:
                break
        stage = np.zeros_like(nu)
        stage[free] = np.maximum(z * scale, c[free])
        found.append(stage)
    return found, iterations, evaluations
