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
``f_i`` is in closed form (:mod:`accord.mechanisms.routing.closed_forms`): the
no-arbitrage-band formula for product pools, a sorted-breakpoint solve of the KKT system
for weighted pools, and an all-or-nothing LP for constant-sum pools.

**Two outer solvers.** When every pool is strictly convex (constant product and weighted,
the usual case), ``g`` is C¹ and piecewise C² with a closed-form Hessian
(:mod:`accord.mechanisms.routing.kernels`, compiled with Numba when the ``fast`` extra is
installed), and **projected Newton** (Bertsekas 1982; :mod:`accord.mechanisms.routing.newton`)
converges in 6–15 iterations; its KKT conditions are exactly ``Ψ(ν) ≥ lb`` with
complementary slackness, so the pools' closed-form trades at its ``ν`` are the route, with
no linear program (:mod:`accord.mechanisms.routing.direct`). Otherwise, or should Newton
not certify its gap, **L-BFGS-B** (Byrd, Lu, Nocedal & Zhu 1995, via SciPy) minimises
``g``, as in Diamandis et al., and the primal comes from the recovery LP below
(``method="lp"`` asks for this path). In both, variables are scaled by reference prices
(``ν = ν₀ ⊙ z``, ``ν₀`` propagated from the valued tokens through the pools' spot prices)
so the solvers see numbers of order one.

**Constant-sum pools** make ``g`` piecewise linear, with its minimum on a kink. L-BFGS-B
minimises an entropy-smoothed ``f_μ`` in their place (``μ`` 1e-3 of each reserve's
value), which only brings ``ν`` near the optimum: ``f ≤ f_μ ≤ f + Σ μ log n`` is loose
when the reserves are worth far more than the arbitrage, and shrinking ``μ`` further
makes the smoothed problem so ill-conditioned that L-BFGS-B's line search fails at the
first step (that was the gap of 1e-3 this replaced). The exact optimum comes from
**column generation** on the recovery LP (Dantzig–Wolfe, with constant-sum pools as
exact linear variables): each round the LP's shadow prices, kept within a trust region
of 10× around the best prices so far, give a segment along which ``g`` (unsmoothed,
convex) is minimised by bisection on its slope; that point lowers the bound and its
pools' trades become new columns (Wentges' in-out stabilisation, with the in-out weight
found by line search). Mis-priced rounds add the trades at the LP's own prices, as
Kelley's method does, so every round either cuts the LP or proves it optimal.

**Primal recovery** on the LP path (:mod:`accord.mechanisms.routing.primal`) makes the
returned route *always feasible*: the LP above over per-pool combinations ``θ`` of the columns, with
constant-sum pools exact, checked and re-solved until HiGHS's tolerances cannot leave a
token short, re-solved with margins for rounding, then a float repair and integer
execution with cfmm's exact math, rounded towards the pools.
**The certificate** is the duality gap ``g(ν) − cᵀΨ`` with ``g`` evaluated unsmoothed at
the best prices found: an upper bound on how far the route is from optimal.

The parts live in their own modules: the L-BFGS-B dual in
:mod:`accord.mechanisms.routing.dual`, column generation in
:mod:`accord.mechanisms.routing.colgen`, the recovery LP and integer execution in
:mod:`accord.mechanisms.routing.primal`, the per-pool closed forms in
:mod:`accord.mechanisms.routing.closed_forms`, their Hessians in
:mod:`accord.mechanisms.routing.kernels`, projected Newton in
:mod:`accord.mechanisms.routing.newton` and its route in
:mod:`accord.mechanisms.routing.direct`; the result types in
:mod:`accord.mechanisms.routing.result`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from accord.mechanisms.cfmm import Pool
from accord.mechanisms.routing.colgen import (
    Master,
    column_generation,
    columns_at,
    margins,
    price,
)
from accord.mechanisms.routing.direct import (
    MARGIN_COST,
    execute,
    held,
    route_newton,
    traded_held,
)
from accord.mechanisms.routing.dual import dual_value, solve_dual
from accord.mechanisms.routing.network import (
    FloatView,
    Network,
    component,
    reference_prices,
    subview,
)
from accord.mechanisms.routing.primal import (
    CsPool,
    Trades,
    net_flow,
    repair_floats,
)
from accord.mechanisms.routing.result import Route, Trade, blocks_of

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


# -- routing --------------------------------------------------------------------------------
def route(
    network: Network,
    c: Mapping[str, float],
    budget: Mapping[str, int] | None = None,
    *,
    max_iterations: int = 2000,
    integers: bool = True,
    method: str = "auto",
) -> Route:
    """Maximise ``Σ c_k Ψ_k`` subject to ``Ψ_k ≥ −budget_k`` (0 if absent).

    ``method``: ``"auto"`` (projected Newton when every pool is strictly convex and it
    certifies its gap, else the LP path), ``"newton"`` (that or ``ValueError``) or
    ``"lp"`` (L-BFGS-B with column generation on the recovery LP, any pools).

    With ``integers=False`` the exact integer execution is skipped (its fields are
    empty and ``value_int`` is 0): for callers that only need the float plan's value.

    ``c`` gives each valued token its weight (unlisted tokens weigh 0); ``budget`` how
    many base units of a token the trader may spend. Raises ``ValueError`` naming the
    problem for an unknown token, a negative weight or budget, or nothing to value.
    """
    if method not in ("auto", "newton", "lp"):
        raise ValueError(f"method must be 'auto', 'newton' or 'lp', got {method!r}")
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
    keep, tokens = component(network, [int(k) for k in np.flatnonzero(weights > 0)])
    view = network.view if keep.all() else subview(network.view, keep)
    active = np.zeros(n, dtype=bool)
    active[list(tokens)] = True
    nu0 = reference_prices(view, weights)
    nu0[~active] = 1.0
    if method in ("auto", "newton") and all(g.kind != "constant_sum" for g in view.groups):
        found = route_newton(network, view, weights, lb, lb_int, nu0, active, integers)
        if method == "newton":
            if found is None:
                raise ValueError("the Newton route did not converge to a gap within 1e-7")
            return found
        if found is not None and (
            found.relative_gap <= MARGIN_COST or found.gap <= float(weights.max())
        ):
            return found
        if found is not None:  # certified, but loosely (margins for rounding): try the LP
            stages, iterations, evaluations = solve_dual(
                view, weights, lb, nu0, active, max_iterations
            )
            lp = _finish(
                network,
                view,
                weights,
                lb,
                lb_int,
                stages,
                active,
                iterations,
                evaluations,
                integers,
            )
            better = lp.value_int > found.value_int if integers else lp.value > found.value
            return lp if better else found
    elif method == "newton":
        raise ValueError("method='newton' needs strictly convex pools, not constant-sum ones")
    stages, iterations, evaluations = solve_dual(view, weights, lb, nu0, active, max_iterations)
    return _finish(
        network, view, weights, lb, lb_int, stages, active, iterations, evaluations, integers
    )


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
    worth = held(view, nu)
    token_scale = np.zeros(n)  # each token's largest reserve: the LP's row scale
    for g in view.groups:
        np.maximum.at(token_scale, g.tokens.ravel(), g.reserves.ravel())
    master = Master(
        view,
        c,
        active,
        [
            CsPool(int(g.pools[r]), g.tokens[r], g.reserves[r], g.shape[r], float(g.gamma[r]))
            for g in view.groups
            if g.kind == "constant_sum"
            for r in range(len(g.pools))
        ],
        max(worth * 1e-6, 1e-300),
        token_scale,
        max(1e-12 * worth, 1e-300),
        [],
    )
    bound = math.inf
    for stage in stages:  # every stage's trades are columns; the lowest g starts
        priced = price(view, c, lb, stage)
        master.columns.extend(columns_at(view, priced))
        if priced.value < bound:
            bound, nu = priced.value, stage
    plan, best = column_generation(master, lb, nu)
    bound, nu = best.value, best.nu
    # Re-solve with margins (see margins) for the integer execution. The LP can only
    # scale whole trades, so a margin on a token that a large multi-token trade tenders
    # a little of can cost far more than it is worth, until column generation finds
    # that trade with less of the token. Both plans are executed in integers and the one
    # worth more kept: the margined plan when it loses less than MARGIN_COST of the
    # value, or when rounding leaves the unmargined plan short round an arbitrage cycle
    # (cutting one tender there only moves the shortfall on round the cycle, and
    # to_integers gives up).
    plans = [plan]
    if integers and (margin := margins(n, plan)).any():
        enough = master.value(plan) - MARGIN_COST * max(bound, master.floor)
        safe, _ = column_generation(master, lb + margin, nu, enough)
        plans.insert(0 if master.value(safe) >= enough else 1, safe)
    best_exec: tuple[Trades, dict[int, tuple[list[int], list[int]]], list[int], float] | None = None
    for candidate in plans:
        trades = repair_floats(n, lb, candidate.trades)
        if integers:
            ints, psi_int, worth = execute(network, c, lb, lb_int, trades)
        else:
            ints, psi_int, worth = {}, [], 0.0
        if best_exec is None or worth > best_exec[3]:
            best_exec = (trades, ints, psi_int, worth)
        if not integers or worth >= float(np.dot(c, net_flow(n, trades))) * (1.0 - MARGIN_COST):
            break  # the first plan's integers lose no more than a margin would
    assert best_exec is not None
    trades, ints, psi_int, value_int = best_exec
    psi = net_flow(n, trades)
    value = float(np.dot(c, psi))
    gap = bound - value
    return Route(
        tokens=network.tokens,
        value=value,
        value_int=value_int,
        net=tuple(float(x) for x in psi),
        net_int=tuple(psi_int),
        prices=tuple(float(x) for x in nu),
        dual_value=bound,
        gap=gap,
        relative_gap=gap / max(bound, 1e-12 * traded_held(network, nu, trades), 1e-300),
        iterations=iterations,
        evaluations=evaluations,
        method="lp",
        blocks=blocks_of(trades),
        integer_trades=ints if integers else None,
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
    method: str = "auto",
) -> Route:
    """Arbitrage: maximise the market value ``Σ prices_k Ψ_k`` giving up no token.

    ``prices`` are per base unit; unlisted tokens are worth 0 (they may pass through a
    route but never be given up).
    """
    return route(
        _as_network(pools, labels),
        prices,
        max_iterations=max_iterations,
        integers=integers,
        method=method,
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
    method: str = "auto",
) -> Route:
    """Swap: tender at most ``amount`` base units of ``sell``, maximise what arrives of
    ``buy``, and give up no other token."""
    network = _as_network(pools, labels)
    i, j = network.index(sell), network.index(buy)
    if i == j:
        raise ValueError(f"cannot swap {sell!r} for itself")
    if type(amount) is not int or amount <= 0:
        raise ValueError(f"swap amount must be a positive int in base units, got {amount!r}")
    _, reach = component(network, [j])
    if i not in reach:
        raise ValueError(f"no pools connect {sell!r} to {buy!r}: nothing to route")
    return route(
        network,
        {buy: 1.0},
        {sell: amount},
        max_iterations=max_iterations,
        integers=integers,
        method=method,
    )
