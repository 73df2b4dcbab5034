"""Optimal routing over many CFMM pools, by dual decomposition with closed-form pools.

The problem (Angeris, Chitra, Evans & Boyd, "Optimal Routing for Constant Function
Market Makers", ACM EC 2022, eq. (5)): tokens ``0..n−1``, pools ``i`` each trading a
subset of them through the selection matrix ``A_i``, with reserves ``R_i``, fee
``1 − γ_i`` and trading function ``φ_i``. A route gives every pool a trade, ``Δ_i``
tendered and ``Λ_i`` received, with ``φ_i(R_i + γ_iΔ_i − Λ_i) ≥ φ_i(R_i)``, and the net
flow to the trader is ``Ψ = Σ_i A_i(Λ_i − Δ_i)``. :func:`route` solves

    maximise cᵀΨ   subject to   Ψ ≥ lb,

which covers both objectives of the paper:

- **arbitrage** (:func:`route_arbitrage`): ``c`` the market prices, ``lb = 0`` (give up
  no token), maximise the market value of what is left over;
- **swap** (:func:`route_swap`): tender at most ``t`` of token ``i`` (``lb_i = −t``),
  ``c = e_j`` (maximise what arrives of ``j``), all other ``Ψ_k ≥ 0``.

**The dual** (Diamandis, Resnick, Chitra & Angeris, "An Efficient Algorithm for Optimal
Routing Through Constant Function Market Makers", FC 2023, §3). Relaxing the coupling
``Ψ = Σ A_i x_i`` with prices ``ν`` separates the problem into one arbitrage per pool:

    g(ν) = Σ_i f_i(A_iᵀν) + (ν − c)ᵀ(−lb),   ν ≥ c,

where ``f_i(ν̃) = sup {ν̃ᵀ(Λ − Δ) : trade feasible}`` is pool i's optimal arbitrage at
prices ``ν̃`` and the second term is the conjugate of the objective (finite only for
``ν ≥ c``). ``g(ν)`` bounds the optimum from above for every ``ν ≥ c`` (weak duality),
and ``∇g(ν) = Ψ(ν) − lb`` is the sum of the pools' optimal trades less the bound. Each
``f_i`` is in closed form (:mod:`accord.mechanisms.routing_closed_forms`): the
no-arbitrage-band formula for product pools, a sorted-breakpoint solve of the KKT system
for weighted pools, and an all-or-nothing LP for constant-sum pools.

**The outer solver** is L-BFGS-B (Byrd, Lu, Nocedal & Zhu 1995, via SciPy) on ``g``,
as in Diamandis et al. Why: ``g`` is convex, only bound-constrained (``ν ≥ c``), cheap
(one vectorised pass over the pools), C¹ for product and weighted pools (each
``f_i`` is differentiable because its trading set is strictly convex) but not C², since
the optimal trades switch on and off at the edges of the no-arbitrage bands; a
quasi-Newton method with box bounds fits exactly that, with memory linear in the number
of tokens. A bisection or Newton method would only cover the two-token special case.
Variables are scaled by reference prices (``ν = ν₀ ⊙ z``, ``ν₀`` propagated from the
valued tokens through the pools' spot prices) and ``g`` by its size, so the solver sees
numbers of order one. Constant-sum pools make ``g`` piecewise linear: their ``f_i`` is
replaced by an entropy-smoothed ``f_μ`` whose smoothing ``μ`` shrinks by 100× per stage
(1e-3 … 1e-9 of each reserve's value) with warm starts, and they are settled exactly in
the primal recovery.

**Primal recovery** (:mod:`accord.mechanisms.routing_primal`) makes the returned route
*always feasible*: an LP over per-pool trade fractions ``θ_i ∈ [0, 1]`` of the dual's
product and weighted trades, with constant-sum pools as exact linear variables, then a
float repair and integer execution with cfmm's exact math, rounded towards the pools.
**The certificate** is the duality gap ``g(ν) − cᵀΨ`` with ``g`` evaluated unsmoothed:
an upper bound on how far the route is from optimal.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from accord.mechanisms.cfmm import Pool
from accord.mechanisms.routing_closed_forms import (
    product_arbitrage,
    sum_arbitrage,
    weighted_arbitrage,
)
from accord.mechanisms.routing_network import FloatView, Network, float_view
from accord.mechanisms.routing_primal import (
    CsPool,
    SmoothTrade,
    recover,
    repair_floats,
    to_integers,
)

Array = NDArray[np.float64]

__all__ = [
    "Network",
    "Route",
    "Trade",
    "dual_value",
    "route",
    "route_arbitrage",
    "route_swap",
]

_SMOOTHING = (1e-3, 1e-5, 1e-7, 1e-9)
_FLOOR = 1e-9  # lower bound on unvalued prices, relative to their reference
_ROUNDS = 5  # column-generation rounds at most
_GAP_TOL = 1e-8  # relative gap below which no column-generation round runs


@dataclass(frozen=True)
class Trade:
    """One pool's part of a route, in the pool's own token order.

    ``tendered``/``received`` are the float plan; ``tendered_int``/``received_int`` are
    base units that the pool's exact invariant accepts (``pool.accepts`` holds, and a
    single-pair trade receives exactly ``pool.out_given_in`` of its tender).
    """

    pool: int
    tokens: tuple[str, ...]
    tendered: tuple[float, ...]
    received: tuple[float, ...]
    tendered_int: tuple[int, ...]
    received_int: tuple[int, ...]


@dataclass(frozen=True)
class Route:
    """A routed trade with its certificate.

    ``value`` is the objective ``cᵀΨ`` of the float plan and ``value_int`` of the integer
    execution; ``net``/``net_int`` the net flow to the trader per token (global order,
    ``tokens``); ``prices`` the dual prices ``ν``; ``dual_value`` the upper bound
    ``g(ν)``; ``gap = dual_value − value ≥ 0`` and ``relative_gap = gap /
    max(dual_value, 1e-12·(value of the routed reserves at ν))``.
    """

    tokens: tuple[str, ...]
    value: float
    value_int: float
    net: tuple[float, ...]
    net_int: tuple[int, ...]
    trades: tuple[Trade, ...]
    prices: tuple[float, ...]
    dual_value: float
    gap: float
    relative_gap: float
    iterations: int
    evaluations: int

    def amount(self, token: str) -> int:
        """Integer net flow of ``token`` (what the trader ends up with of it)."""
        return self.net_int[self.tokens.index(token)]

    def as_dict(self) -> dict[str, Any]:
        """The CLI's JSON shape: value, integer net flow and integer trades by token name."""
        return {
            "value": self.value_int,
            "net": {t: v for t, v in zip(self.tokens, self.net_int, strict=True) if v},
            "trades": [
                {
                    "pool": t.pool,
                    "tendered": {k: v for k, v in zip(t.tokens, t.tendered_int, strict=True) if v},
                    "received": {k: v for k, v in zip(t.tokens, t.received_int, strict=True) if v},
                }
                for t in self.trades
            ],
            "dual_value": self.dual_value,
            "gap": self.gap,
        }


# -- the dual -------------------------------------------------------------------------------
def _pool_values(
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
    total, _, _ = _pool_values(view, nu, None, nu)
    return total - float(np.dot(nu - c, lb))


def _reference_prices(network: Network, keep: list[int], c: Array) -> Array:
    """``ν₀``: ``c`` on valued tokens, spot prices outwards from them (breadth first)."""
    n = len(network.tokens)
    nu = np.where(c > 0, c, 0.0)
    by_token: list[list[int]] = [[] for _ in range(n)]
    for p in keep:
        for k in network.pool_tokens[p]:
            by_token[k].append(p)
    queue = deque(int(k) for k in np.flatnonzero(c > 0))
    while queue:
        k = queue.popleft()
        for p in by_token[k]:
            pool = network.pools[p]
            ids = network.pool_tokens[p]
            a = ids.index(k)
            for b, other in enumerate(ids):
                if nu[other] > 0:
                    continue
                spot = pool.spot_price(b, a)  # units of k per unit of other
                nu[other] = nu[k] * float(spot)
                queue.append(other)
    return nu


def _component(network: Network, seeds: list[int]) -> tuple[list[int], set[int]]:
    """Pools and tokens connected to ``seeds`` through pools."""
    n = len(network.tokens)
    by_token: list[list[int]] = [[] for _ in range(n)]
    for p, ids in enumerate(network.pool_tokens):
        for k in ids:
            by_token[k].append(p)
    seen_tokens = set(seeds)
    seen_pools: set[int] = set()
    queue = deque(seeds)
    while queue:
        k = queue.popleft()
        for p in by_token[k]:
            if p in seen_pools:
                continue
            seen_pools.add(p)
            for other in network.pool_tokens[p]:
                if other not in seen_tokens:
                    seen_tokens.add(other)
                    queue.append(other)
    return sorted(seen_pools), seen_tokens


def _solve_dual(
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
            size = abs(_pool_values(view, nu, mu, nu0)[0] - float(np.dot(nu - c, lb)))
            size = max(size, 1e-300)

            def fun(zv: Array, mu: float | None = mu, size: float = size) -> tuple[float, Array]:
                v = nu.copy()
                v[free] = zv * scale
                total, grad, _ = _pool_values(view, v, mu, nu0)
                value = total - float(np.dot(v - c, lb))
                return value / size, (grad[free] - lb[free]) * scale / size

            res = minimize(
                fun,
                z,
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": max_iterations, "maxcor": 20, "ftol": 1e-15, "gtol": 1e-13},
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


# -- routing --------------------------------------------------------------------------------
def route(
    network: Network,
    c: Mapping[str, float],
    budget: Mapping[str, int] | None = None,
    *,
    max_iterations: int = 2000,
    integers: bool = True,
) -> Route:
    """Maximise ``Σ c_k Ψ_k`` subject to ``Ψ_k ≥ −budget_k`` (0 if absent).

    With ``integers=False`` the exact integer execution is skipped (its fields are
    empty and ``value_int`` is 0): for callers that only need the float plan's value.

    ``c`` gives each valued token its weight (unlisted tokens weigh 0); ``budget`` how
    many base units of a token the trader may spend. Raises ``ValueError`` naming the
    problem for an unknown token, a negative weight or budget, or nothing to value.
    """
    n = len(network.tokens)
    weights = np.zeros(n)
    for token, w in c.items():
        k = network.index(token)
        if not math.isfinite(w) or w < 0:
            raise ValueError(f"price of {token!r} must be finite and non-negative, got {w}")
        weights[k] = float(w)
    if not (weights > 0).any():
        raise ValueError("no token has a positive price: there is nothing to maximise")
    lb_int = [0] * n
    for token, amount in (budget or {}).items():
        k = network.index(token)
        if type(amount) is not int or amount < 0:
            raise ValueError(f"budget of {token!r} must be a non-negative int, got {amount!r}")
        lb_int[k] = -amount
    lb = np.array(lb_int, dtype=float)
    keep, tokens = _component(network, [int(k) for k in np.flatnonzero(weights > 0)])
    view = float_view(network, keep)
    active = np.zeros(n, dtype=bool)
    active[list(tokens)] = True
    nu0 = _reference_prices(network, keep, weights)
    nu0[~active] = 1.0
    stages, iterations, evaluations = _solve_dual(view, weights, lb, nu0, active, max_iterations)
    return _finish(
        network, view, weights, lb, lb_int, stages, active, iterations, evaluations, integers
    )


def _columns(view: FloatView, nu: Array) -> list[SmoothTrade]:
    """Each product or weighted pool's optimal trade at ``nu``, as an LP column.

    Received amounts shrink by 1e-12 so that the pool's invariant holds in floats
    despite rounding in the closed forms.
    """
    _, _, nets = _pool_values(view, nu, None, nu)
    out: list[SmoothTrade] = []
    for gi, net in nets:
        g = view.groups[gi]
        if g.kind == "constant_sum":
            continue
        net = np.where(net > 0, net * (1.0 - 1e-12), net)
        for row in np.flatnonzero(np.abs(net).sum(axis=1) > 0):
            out.append(SmoothTrade(int(g.pools[row]), g.tokens[row], net[row]))
    return out


def _net_flow(n: int, trades: dict[int, tuple[NDArray[np.intp], Array, Array]]) -> Array:
    psi = np.zeros(n)
    for tk, dlt, lam in trades.values():
        np.add.at(psi, tk, lam - dlt)
    return psi


def _finish(
    network: Network,
    view: FloatView,
    c: Array,
    lb: Array,
    lb_int: list[int],
    stages: list[Array],
    active: NDArray[np.bool_],
    iterations: int,
    evaluations: int,
    integers: bool,
) -> Route:
    n = len(network.tokens)
    nu = stages[-1]
    sums = [
        CsPool(int(g.pools[r]), g.tokens[r], g.reserves[r], g.shape[r], float(g.gamma[r]))
        for g in view.groups
        if g.kind == "constant_sum"
        for r in range(len(g.pools))
    ]
    columns = [col for stage in stages for col in _columns(view, stage)]
    held = sum(float(np.dot(nu[g.tokens].ravel(), g.reserves.ravel())) for g in view.groups)
    floor = max(1e-12 * held, 1e-300)
    value_scale = max(held * 1e-6, 1e-300)
    bound = dual_value(view, c, lb, nu)
    # Column generation (Dantzig-Wolfe): the LP's shadow prices give new columns and,
    # often, a tighter bound; stop once the gap is at round-off level.
    last_gap = math.inf
    for _round in range(_ROUNDS):
        found = recover(n, c, lb, columns, sums, value_scale)
        assert found is not None  # θ = 0 is feasible when lb ≤ 0
        plan = found
        gap = bound - float(np.dot(c, _net_flow(n, plan.trades)))
        if gap <= _GAP_TOL * max(bound, floor) or gap > 0.5 * last_gap:
            break  # small enough, or no longer halving
        last_gap = gap
        trial = np.where(np.isfinite(plan.prices) & (plan.prices > 0), plan.prices, nu)
        trial = np.where(active, np.maximum(trial, np.maximum(c, _FLOOR * nu)), 0.0)
        trial_bound = dual_value(view, c, lb, trial)
        if trial_bound < bound:
            bound, nu = trial_bound, trial
        columns += _columns(view, trial)
    # Re-solve with a margin on every token the plan tenders, so that rounding to base
    # units (≤ ½ unit per tender, float error ~1e-11 per amount) cannot leave one short.
    tendered = np.zeros(n)
    moved = np.zeros(n)
    touching = np.zeros(n)
    for tk, dlt, lam in plan.trades.values():
        np.add.at(tendered, tk, dlt)
        np.add.at(moved, tk, dlt + lam)
        np.add.at(touching, tk, 1.0)
    margin = np.where(tendered > 0, 2.0 * touching + 2.0 + 1e-11 * moved, 0.0)
    safe = recover(n, c, lb + margin, columns, sums, value_scale) if margin.any() else None
    trades = repair_floats(n, lb, (safe if safe is not None else plan).trades)
    psi = _net_flow(n, trades)
    throughput = np.zeros(n)
    for tk, dlt, _ in trades.values():
        np.add.at(throughput, tk, dlt)
    pass_through = (c == 0) & (psi - lb <= 1e-9 * np.maximum(throughput, 1.0))
    ints = to_integers(network.pools, n, lb_int, trades, pass_through) if integers else {}
    psi_int = [0] * n
    out: list[Trade] = []
    for p in sorted(trades):
        ids = network.pool_tokens[p]
        _, dlt, lam = trades[p]
        ti, ri = ints.get(p, ([0] * len(ids), [0] * len(ids))) if integers else ([], [])
        for k, d, r in zip(ids, ti, ri, strict=False):  # empty without integers
            psi_int[k] += r - d
        out.append(
            Trade(
                pool=p,
                tokens=tuple(network.tokens[k] for k in ids),
                tendered=tuple(float(x) for x in dlt),
                received=tuple(float(x) for x in lam),
                tendered_int=tuple(ti),
                received_int=tuple(ri),
            )
        )
    value = float(np.dot(c, psi))
    gap = bound - value
    return Route(
        tokens=network.tokens,
        value=value,
        value_int=float(np.dot(c, np.array(psi_int, dtype=float))),
        net=tuple(float(x) for x in psi),
        net_int=tuple(psi_int) if integers else (),
        trades=tuple(out),
        prices=tuple(float(x) for x in nu),
        dual_value=bound,
        gap=gap,
        relative_gap=gap / max(bound, floor),
        iterations=iterations,
        evaluations=evaluations,
    )


def _as_network(pools: Network | Sequence[Pool], labels: Sequence[Sequence[str]] | None) -> Network:
    if isinstance(pools, Network):
        if labels is not None:
            raise ValueError("labels go with a list of pools, not with a built Network")
        return pools
    return Network.build(pools, labels)


def route_arbitrage(
    pools: Network | Sequence[Pool],
    prices: Mapping[str, float],
    *,
    labels: Sequence[Sequence[str]] | None = None,
    max_iterations: int = 2000,
    integers: bool = True,
) -> Route:
    """Arbitrage: maximise the market value ``Σ prices_k Ψ_k`` giving up no token.

    ``prices`` are per base unit; unlisted tokens are worth 0 (they may pass through a
    route but never be given up).
    """
    return route(
        _as_network(pools, labels), prices, max_iterations=max_iterations, integers=integers
    )


def route_swap(
    pools: Network | Sequence[Pool],
    sell: str,
    amount: int,
    buy: str,
    *,
    labels: Sequence[Sequence[str]] | None = None,
    max_iterations: int = 2000,
    integers: bool = True,
) -> Route:
    """Swap: tender at most ``amount`` base units of ``sell``, maximise what arrives of
    ``buy``, and give up no other token."""
    network = _as_network(pools, labels)
    i, j = network.index(sell), network.index(buy)
    if i == j:
        raise ValueError(f"cannot swap {sell!r} for itself")
    if type(amount) is not int or amount <= 0:
        raise ValueError(f"swap amount must be a positive int in base units, got {amount!r}")
    _, reach = _component(network, [j])
    if i not in reach:
        raise ValueError(f"no pools connect {sell!r} to {buy!r}: nothing to route")
    return route(
        network, {buy: 1.0}, {sell: amount}, max_iterations=max_iterations, integers=integers
    )
