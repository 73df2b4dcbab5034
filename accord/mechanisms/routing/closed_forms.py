"""Closed-form per-pool arbitrage for the router's dual decomposition.

Given prices ``ν`` (one per token of the pool), a pool's *arbitrage problem* is

    f(ν) = sup { νᵀ(Λ − Δ) : Δ, Λ ≥ 0, φ(R + γΔ − Λ) ≥ φ(R) },

the value of the best trade against the pool at those prices (Angeris, Chitra, Evans &
Boyd, "Optimal Routing for Constant Function Market Makers", 2022, §4; Diamandis,
Resnick, Chitra & Angeris, "An Efficient Algorithm for Optimal Routing Through Constant
Function Market Makers", 2023, §3.2 and appendix). ``f`` is convex and positively
homogeneous in ``ν``, and by Danskin's theorem its gradient is the optimal net trade
``Λ − Δ`` wherever that trade is unique, which it is for strictly convex pools. Every
function here is vectorised over a group of pools of the same kind and arity: arrays are
``(pools, tokens)``, and each returns ``(value, net)`` with ``net = Λ − Δ`` (positive:
the trader receives it) and ``value = Σ ν·net``.

All three kinds are solved in the coordinates ``x = R + γΔ − Λ`` (the new reserves as the
invariant sees them). The objective ``νᵀ(Λ − Δ)`` is then separable and concave in ``x``,
with slope ``−ν_k`` below ``R_k`` (receiving) and ``−ν_k/γ`` above it (tendering).

**Constant product** ``x₁x₂ ≥ R₁R₂``. With ``q = γR₂ν₂ / (R₁ν₁)``, tendering token 1 pays
iff ``q > 1``, i.e. the pool's marginal price after fee ``γR₂/R₁`` is above the market
price ``ν₁/ν₂`` (the no-arbitrage band is ``γR₂/R₁ ≤ ν₁/ν₂ ≤ R₂/(γR₁)``). Setting the
derivative of ``ν₂Λ₂ − ν₁Δ₁`` to zero gives ``x₁ = √(γR₁R₂ν₂/ν₁) = R₁√q``, so

    Δ₁ = R₁(√q − 1)/γ,   Λ₂ = R₂(1 − 1/√q),

and symmetrically in the other direction. (This is Angeris et al.'s §4.2 formula; the
differences ``q − 1`` are formed before the square roots so small trades keep their
relative precision.)

**Weighted geometric mean** ``Σ w_k log x_k ≥ Σ w_k log R_k`` (``Σ w = 1``). With a
multiplier ``λ`` on the invariant the KKT conditions give, per token,
``x_k = λw_k/ν_k`` if that is below ``R_k`` (received), ``x_k = γλw_k/ν_k`` if that is
above ``R_k`` (tendered), and ``x_k = R_k`` otherwise. Writing ``L = log λ``,
``u_k = log(R_kν_k/w_k)`` and ``g = −log γ``, the constraint becomes

    H(L) = Σ_k w_k φ(L − u_k) = 0,   φ(t) = t − clip(t, 0, g),

a non-decreasing piecewise-linear equation with breakpoints ``u_k`` and ``u_k + g``.
Sorting the ``2n`` breakpoints locates the linear piece holding the root, which is then
exact: a closed form once the sets of tendered and received tokens are known, and those
sets are found exactly (Willetts & Harrington, "Closed-form solutions for optimal
arbitrage for geometric mean market makers", 2022, solve the same KKT system). Then
``x_k − R_k = R_k·expm1(φ(L − u_k))``. The ``u_k`` are centred on their weighted mean
first, so nearly balanced pools keep full relative precision. For ``n = 2`` and equal
weights this is the product formula above.

**Constant sum** ``Σ p_k x_k ≥ Σ p_k R_k``, ``x ≥ 0``: a linear program. With
``r_k = ν_k/p_k``, the cheapest way to pay is with the token ``i*`` of least ``r_i``, at
``c* = r_{i*}/γ`` per unit of pool value, and every token with ``r_k > c*`` is bought out
whole, so ``f(ν) = Σ_k R_k p_k max(0, r_k − c*)``: piecewise linear, with kinks where
the trade jumps from nothing to the whole reserve. The router's outer solver needs a
smooth dual, so :func:`sum_arbitrage` also offers the entropy-smoothed value

    f_μ(ν) = Σ_k μ_k log(1 + Σ_{i≠k} exp(a_ik/μ_k)),   a_ik = R_k p_k (r_k − r_i/γ),

the value of choosing, for each reserve k, a fraction of "buy it all with token i" under
an entropy penalty ``μ_k``; ``f ≤ f_μ ≤ f + Σ μ_k log n``, and its gradient is a
fractional (hence feasible) trade. The router solves with shrinking ``μ`` and settles
constant-sum pools exactly in its final linear program.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

__all__ = ["product_arbitrage", "sum_arbitrage", "weighted_arbitrage"]


def product_arbitrage(reserves: Array, gamma: Array, prices: Array) -> tuple[Array, Array]:
    """Optimal arbitrage against constant-product pools: ``(value, net)``.

    ``reserves`` and ``prices`` are ``(m, 2)``, ``gamma`` is ``(m,)``; prices must be
    positive. ``net[:, k]`` is what the arbitrageur receives of token k (negative: tenders).
    """
    r1, r2 = reserves[:, 0], reserves[:, 1]
    v1, v2 = prices[:, 0], prices[:, 1]
    a = r1 * v1
    b = r2 * v2
    net = np.zeros_like(reserves)
    # tender 1, receive 2 when γ·R₂ν₂ > R₁ν₁ (q = γb/a > 1)
    fwd = gamma * b > a
    if fwd.any():
        q_minus = (gamma[fwd] * b[fwd] - a[fwd]) / a[fwd]
        root = np.sqrt(1.0 + q_minus)
        step = q_minus / (root + 1.0)  # √q − 1
        net[fwd, 0] = -r1[fwd] * step / gamma[fwd]
        net[fwd, 1] = r2[fwd] * step / root  # 1 − 1/√q = (√q − 1)/√q
    bwd = gamma * a > b
    if bwd.any():
        q_minus = (gamma[bwd] * a[bwd] - b[bwd]) / b[bwd]
        root = np.sqrt(1.0 + q_minus)
        step = q_minus / (root + 1.0)
        net[bwd, 1] = -r2[bwd] * step / gamma[bwd]
        net[bwd, 0] = r1[bwd] * step / root
    value = np.einsum("ij,ij->i", net, prices)
    return value, net


def weighted_arbitrage(
    reserves: Array, weights: Array, gamma: Array, prices: Array
) -> tuple[Array, Array]:
    """Optimal arbitrage against weighted geometric-mean pools: ``(value, net)``.

    ``reserves``, ``weights`` (each row summing to one) and ``prices`` are ``(m, n)``;
    ``gamma`` is ``(m,)``. Solves ``H(L) = 0`` (module docstring) on its sorted breakpoints.
    """
    m, n = reserves.shape
    q = reserves * prices / weights
    logq = np.log(q / q[:, :1])
    u = logq - np.einsum("ij,ij->i", weights, logq)[:, None]
    g = -np.log(gamma)
    points = np.sort(np.concatenate([u, u + g[:, None]], axis=1), axis=1)  # (m, 2n)
    t = points[:, :, None] - u[:, None, :]  # (m, 2n, n)
    phi = t - np.clip(t, 0.0, g[:, None, None])
    h = np.einsum("ijk,ik->ij", phi, weights)  # (m, 2n), non-decreasing along axis 1
    below = (h <= 0.0).sum(axis=1) - 1  # last breakpoint with H ≤ 0 (H(min u) ≤ 0 always)
    below = np.clip(below, 0, 2 * n - 1)
    rows = np.arange(m)
    nxt = np.minimum(below + 1, 2 * n - 1)
    b0, b1 = points[rows, below], points[rows, nxt]
    h0, h1 = h[rows, below], h[rows, nxt]
    rise = h1 - h0
    with np.errstate(divide="ignore", invalid="ignore"):
        root = np.where(rise > 0.0, b0 - h0 * (b1 - b0) / rise, b0)
    t_star = root[:, None] - u
    phi_star = t_star - np.clip(t_star, 0.0, g[:, None])
    change = reserves * np.expm1(phi_star)  # x − R: positive means tendered (after fee)
    net = np.where(change > 0.0, -change / gamma[:, None], -change)
    value = np.einsum("ij,ij->i", net, prices)
    return value, net


def sum_arbitrage(
    reserves: Array,
    pool_prices: Array,
    gamma: Array,
    prices: Array,
    smoothing: Array | None = None,
) -> tuple[Array, Array]:
    """Optimal (or entropy-smoothed) arbitrage against constant-sum pools.

    ``reserves``, ``pool_prices`` (the pools' own ``p_k``) and ``prices`` are ``(m, n)``;
    ``gamma`` is ``(m,)``. With ``smoothing`` (``μ``, ``(m, n)``, positive) returns the
    smoothed value ``f_μ`` and its gradient; without, the exact all-or-nothing LP optimum.
    """
    m, n = reserves.shape
    r = prices / pool_prices
    cap = reserves * pool_prices  # each reserve's value in the pool's unit
    if smoothing is None:
        pay = np.argmin(r, axis=1)
        rows = np.arange(m)
        c_star = r[rows, pay] / gamma
        take = r > c_star[:, None]
        take[rows, pay] = False
        net = np.where(take, reserves, 0.0)
        spent = (np.where(take, cap, 0.0)).sum(axis=1) / (gamma * pool_prices[rows, pay])
        net[rows, pay] = -spent
        value = np.einsum("ij,ij->i", net, prices)
        return value, net
    # a[i, k] = cap_k (r_k − r_i/γ) for paying with i to buy k out (i ≠ k)
    a = cap[:, None, :] * (r[:, None, :] - r[:, :, None] / gamma[:, None, None])
    z = a / smoothing[:, None, :]
    eye = np.eye(n, dtype=bool)[None, :, :]
    z = np.where(eye, -np.inf, z)
    top = np.maximum(z.max(axis=1), 0.0)  # (m, n): shift for a stable log-sum-exp
    ez = np.exp(z - top[:, None, :])
    denom = np.exp(-top) + ez.sum(axis=1)
    value = (smoothing * (top + np.log(denom))).sum(axis=1)
    share = ez / denom[:, None, :]  # (m, i, k): fraction of reserve k bought with i
    bought = share.sum(axis=1) * reserves
    paid = (share * cap[:, None, :]).sum(axis=2) / (gamma[:, None] * pool_prices)
    net = bought - paid
    return value, net
