"""Primal recovery for the router: from dual prices to trades that are always feasible.

The dual prices ``ν`` fix each strictly convex pool's trade (its closed-form arbitrage,
:mod:`accord.mechanisms.routing.closed_forms`); at an inexact ``ν`` their sum misses
the objective's constraints ``Ψ ≥ lb`` by a little, and a constant-sum pool's trade is
not determined at all when ``ν`` sits on its price threshold (its arbitrage is a linear
program with a whole face of optima). Three steps turn them into a feasible primal:

1. **A small LP** (:func:`recover`). Every trading product or weighted pool ``p``
   contributes its candidate trades (closed forms at several prices: the columns of a
   Dantzig–Wolfe master problem) in a combination ``Σ θ_pk x_pk`` with ``θ ≥ 0``,
   ``Σ_k θ_pk ≤ 1`` (feasible for any such ``θ``: the trading set is convex and holds
   the zero trade); every constant-sum pool enters exactly, with its own ``Δ, Λ ≥ 0``,
   ``Λ ≤ R`` and ``pᵀ(γΔ − Λ) ≥ 0``. The LP maximises ``cᵀΨ`` subject to ``Ψ ≥ lb``;
   ``θ = 0`` is feasible, so it has a solution whenever ``lb ≤ 0`` (this is the
   "restricted primal" of Diamandis et al. 2023, §3.3, made linear). HiGHS meets each
   row only to a tolerance, so the solution is checked in floats and the LP re-solved
   with rescaled rows or raised bounds until no token is short (iterative refinement).
2. **A float repair** (:func:`repair_floats`). Should a token still be short of its
   bound, the pools tendering it are scaled down, repeated until every bound holds with
   a relative margin of 1e-12.
3. **Integer execution** (:func:`to_integers`). Tenders are rounded up to whole base
   units (so that what the pools pay for them loses only a floor); for single-pair
   trades the pool's own ``out_given_in`` (cfmm's exact integer math) gives what it
   pays, and multi-token trades are floored and shrunk until the pool's exact
   ``accepts`` holds. Tokens then short of their bound have their tenders cut
   (recomputing what those pools pay) until none is; tokens meant to pass through
   (objective weight 0) have leftover units pushed on. Every integer trade is what the
   pool's exact math pays for its tender, or a receipt its exact ``accepts`` was asked
   about (or less, which the invariant then takes too): rounding goes towards the pools,
   never the user. (The router's tests check every trade with ``accepts`` again.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from accord.mechanisms.cfmm import BPS, Pool, WeightedPool

Array = NDArray[np.float64]

__all__ = [
    "CsPool",
    "Recovery",
    "SmoothTrade",
    "net_flow",
    "recover",
    "repair_floats",
    "rounding_margins",
    "to_integers",
]

_MARGIN = 1e-12
_RESOLVES = 4  # re-solves for HiGHS's tolerance: rows rescaled, bounds shifted
Trades = dict[int, tuple[NDArray[np.intp], Array, Array]]


@dataclass(frozen=True, eq=False)
class SmoothTrade:
    """A product or weighted pool's trade at the dual prices (local ``net = Λ − Δ``)."""

    pool: int
    tokens: NDArray[np.intp]
    net: Array


@dataclass(frozen=True, eq=False)
class CsPool:
    """A constant-sum pool for the LP."""

    pool: int
    tokens: NDArray[np.intp]
    reserves: Array
    prices: Array
    gamma: float


@dataclass(frozen=True, eq=False)
class Recovery:
    """The recovery LP's answer: trades by pool, and its shadow prices ``ν = c + y``
    (``y ≥ 0`` the multipliers of ``Ψ ≥ lb``; NaN for tokens no column touches)."""

    trades: Trades
    prices: Array


def recover(
    n: int,
    c: Array,
    lb: Array,
    smooth: list[SmoothTrade],
    sums: list[CsPool],
    value_scale: float,
    token_scale: Array,
) -> Recovery | None:
    """Solve the recovery LP, or return ``None`` if HiGHS finds no solution: ``Ψ ≥ lb``
    cannot be met (possible only when some ``lb_k > 0``, i.e. with margins), or, rarely,
    numerical trouble.

    ``smooth`` may hold several candidate trades per pool (columns from several price
    vectors, as in Dantzig-Wolfe decomposition); a pool then trades a convex combination
    ``Σ θ_pk x_pk`` with ``Σ_k θ_pk ≤ 1``, feasible because its trading set is convex and
    holds the zero trade. ``c`` are the objective weights and ``lb`` the lower bounds on
    net flow. Rows are scaled by ``token_scale`` (each token's largest reserve), the
    objective by ``value_scale`` and constant-sum variables by their natural size, so
    HiGHS sees numbers of order one.

    HiGHS meets each scaled row to an absolute 1e-10, and its round-off on rows with
    large, cancelling entries can be of that order too. So the trades are checked in
    floats against ``Ψ ≥ lb`` with the relative margin :func:`repair_floats` asks for;
    a short token whose row is scaled by far more than its own throughput (a small
    trade next to a large reserve) has its row rescaled by that throughput; otherwise
    every short token has its bound raised by twice the shortfall plus the tolerance;
    and the LP is solved again (iterative refinement, at most ``_RESOLVES`` times).
    Were that ever infeasible, the last solution stands and :func:`repair_floats`
    scales it down.
    """
    flow = np.where(token_scale > 0, token_scale, 1.0)
    rows: list[NDArray[np.intp]] = [t.tokens for t in smooth]  # token rows per variable
    vals: list[Array] = [t.net for t in smooth]  # Ψ per unit of the variable
    ub: list[float] = [1.0] * len(smooth)
    extra_rows: list[tuple[list[int], list[float]]] = []  # (variables, coefficients)
    extra_rhs: list[float] = []
    by_pool: dict[int, list[int]] = {}
    for v, t in enumerate(smooth):
        by_pool.setdefault(t.pool, []).append(v)
    for ids in by_pool.values():
        if len(ids) > 1:  # Σ θ ≤ 1 over a pool's candidate trades
            extra_rows.append((ids, [1.0] * len(ids)))
            extra_rhs.append(1.0)
    for s in sums:
        value = float(np.dot(s.prices, s.reserves))
        k_n = len(s.tokens)
        ids = list(range(len(rows), len(rows) + 2 * k_n))
        for k in range(k_n):  # Λ_k = R_k·ℓ, ℓ ∈ [0, 1]
            rows.append(s.tokens[k : k + 1])
            vals.append(s.reserves[k : k + 1])
            ub.append(1.0 if s.reserves[k] > 0 else 0.0)
        for k in range(k_n):  # Δ_k = (value / p_k)·δ, δ ≥ 0
            rows.append(s.tokens[k : k + 1])
            vals.append(np.array([-value / s.prices[k]]))
            ub.append(math.inf)
        # p·Λ − γ p·Δ ≤ 0, in units of the pool's value (the fee side shaded towards it)
        coef = [s.prices[k] * s.reserves[k] / value for k in range(k_n)]
        coef += [-s.gamma * (1.0 - 2 * _MARGIN)] * k_n
        extra_rows.append((ids, coef))
        extra_rhs.append(0.0)
    nvar = len(rows)
    if nvar == 0:
        return Recovery({}, np.full(n, np.nan)) if (lb <= 0).all() else None
    lengths = np.array([len(r) for r in rows])
    col_idx = np.repeat(np.arange(nvar), lengths)
    row_idx = np.concatenate(rows)
    entries = np.concatenate(vals)
    # tenders count 2e-12 extra, so HiGHS's rounding still leaves the true Ψ ≥ lb
    entries = np.where(entries < 0, entries * (1.0 + 2 * _MARGIN), entries)
    obj = np.zeros(nvar)
    np.add.at(obj, col_idx, -c[row_idx] * entries / value_scale)
    used = np.zeros(n, dtype=bool)
    used[row_idx] = True
    token_row = np.cumsum(used) - 1  # dense row number of each used token
    n_used = int(used.sum())
    sizes = np.array([len(ids) for ids, _ in extra_rows], dtype=np.intp)
    extra_r = n_used + np.repeat(np.arange(len(extra_rows)), sizes)
    extra_c = np.array([v for ids, _ in extra_rows for v in ids], dtype=np.intp)
    extra_v = np.array([x for _, coef in extra_rows for x in coef], dtype=float)
    all_r = np.concatenate([token_row[row_idx], extra_r]).astype(np.intp)
    all_c = np.concatenate([col_idx, extra_c]).astype(np.intp)
    bounds = np.column_stack([np.zeros(nvar), np.array(ub)])
    solved: tuple[Trades, Array, Array] | None = None  # (trades, marginals, flow)
    shift = np.zeros(n)  # extra required on each token, from the previous solve's misses
    for _attempt in range(_RESOLVES + 1):
        a_ub = coo_matrix(
            (np.concatenate([-entries / flow[row_idx], extra_v]), (all_r, all_c)),
            shape=(n_used + len(extra_rows), nvar),
        ).tocsc()
        b_ub = np.concatenate([(-(lb + shift) / flow)[used], np.array(extra_rhs)])
        res = _linprog(obj, a_ub, b_ub, bounds)
        if res is None:
            break  # infeasible margins, or HiGHS's numerical trouble: keep what was solved
        x, marginals = res
        trades = _trades_of(x, smooth, sums)
        solved = (trades, marginals[:n_used], flow)
        psi = net_flow(n, trades)
        tendered = np.zeros(n)
        for tokens, dlt, _lam in trades.values():
            np.add.at(tendered, tokens, dlt)
        short = lb + _MARGIN * tendered - psi  # what repair_floats would have to fix
        if not (short > 0).any():
            break
        scale = np.maximum(tendered, np.abs(lb))
        loose = used & (short > 0) & (scale < 0.5 * flow)
        if loose.any():  # rows scaled by far more than the token's use: rescale them
            flow = np.where(loose, np.maximum(scale, 1e-300), flow)
        else:  # raise the short tokens' bounds past HiGHS's tolerance and the shortfall
            shift = np.where(short > 0, shift + 2.0 * short + 2e-10 * flow, shift)
    if solved is None:
        return None
    trades, marginals, flow = solved
    prices = np.full(n, np.nan)
    prices[used] = c[used] - marginals * value_scale / flow[used]
    return Recovery(trades, prices)


def _linprog(obj: Array, a_ub: Any, b_ub: Array, bounds: Array) -> tuple[Array, Array] | None:
    """``(x, marginals)`` of ``min objᵀx, a_ub·x ≤ b_ub`` by HiGHS, or ``None``.

    Dual simplex is fastest on small LPs and interior point (with crossover) on large
    ones; each is the other's fallback, since either can stop on numerical trouble
    (status 4) where the other does not.
    """
    methods = ("highs-ds", "highs-ipm") if len(obj) < 5000 else ("highs-ipm", "highs-ds")
    for method in methods:
        res = linprog(
            obj,
            A_ub=a_ub,
            b_ub=b_ub,
            bounds=bounds,
            method=method,
            options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10},
        )
        if res.status == 0 and res.x is not None:
            return np.asarray(res.x), np.asarray(res.ineqlin.marginals)
        if res.status == 2:  # infeasible: the other method will not do better
            return None
    return None


def _trades_of(x: Array, smooth: list[SmoothTrade], sums: list[CsPool]) -> Trades:
    """The recovery LP's solution ``x`` as trades ``{pool: (tokens, Δ, Λ)}``."""
    out: Trades = {}
    combined: dict[int, tuple[NDArray[np.intp], Array]] = {}
    for v, t in enumerate(smooth):
        theta = float(min(max(x[v], 0.0), 1.0))
        if theta > 0:
            prev = combined.get(t.pool, (t.tokens, np.zeros(len(t.tokens))))[1]
            combined[t.pool] = (t.tokens, prev + t.net * theta)
    for pool, (tokens, net) in combined.items():
        out[pool] = (tokens, np.maximum(-net, 0.0), np.maximum(net, 0.0))
    v = len(smooth)
    for s in sums:
        k_n = len(s.tokens)
        value = float(np.dot(s.prices, s.reserves))
        lam = np.clip(x[v : v + k_n], 0.0, 1.0) * s.reserves
        dlt = np.maximum(x[v + k_n : v + 2 * k_n], 0.0) * value / s.prices
        v += 2 * k_n
        both = np.minimum(lam, dlt)  # never tender and receive the same token
        lam, dlt = lam - both, dlt - both
        paid = s.gamma * float(np.dot(s.prices, dlt))
        owed = float(np.dot(s.prices, lam))
        if owed > 0:  # enforce the invariant in floats, with a margin towards the pool
            lam = lam * min(1.0, paid / owed) * (1.0 - _MARGIN)
        if (lam > 0).any():
            out[s.pool] = (s.tokens, dlt, lam)
    return out


def net_flow(n: int, trades: dict[int, tuple[NDArray[np.intp], Array, Array]]) -> Array:
    """The net flow ``Ψ = Σ_i A_i(Λ_i − Δ_i)`` of trades ``{pool: (tokens, Δ, Λ)}``."""
    psi = np.zeros(n)
    for tokens, dlt, lam in trades.values():
        np.add.at(psi, tokens, lam - dlt)
    return psi


def rounding_margins(tendered: Array, touching: Array, moved: Array) -> Array:
    """Base units to keep on every token a plan tenders, so that rounding it to base
    units (≤ ½ unit per tender, float error ~1e-11 per amount) cannot leave one short:
    ``2·touching + 2 + 1e-11·moved`` where ``tendered > 0``, else 0 (``touching`` the
    pools trading each token, ``moved`` what passes through it)."""
    out: Array = np.where(tendered > 0, 2.0 * touching + 2.0 + 1e-11 * moved, 0.0)
    return out


def repair_floats(
    n: int, lb: Array, trades: dict[int, tuple[NDArray[np.intp], Array, Array]]
) -> dict[int, tuple[NDArray[np.intp], Array, Array]]:
    """Scale down pools tendering any token short of ``lb`` until none is (margin 1e-12)."""
    trades = dict(trades)
    for _ in range(200):
        psi = net_flow(n, trades)
        tendered = np.zeros(n)
        for tokens, dlt, _lam in trades.values():
            np.add.at(tendered, tokens, dlt)
        short = lb + _MARGIN * tendered - psi
        bad = (short > 0) & (tendered > 0)
        if not bad.any():
            return trades
        keep = np.ones(n)
        keep[bad] = np.maximum(1.0 - 2.0 * short[bad] / tendered[bad], 0.0)
        for p, (tokens, dlt, lam) in list(trades.items()):
            factor = float(np.min(np.where(dlt > 0, keep[tokens], 1.0)))
            if factor < 1.0:
                trades[p] = (tokens, dlt * factor, lam * factor)
    return {}  # pragma: no cover - the zero trade is always feasible


def _weighted_scale(pool: Pool, tendered: list[int], received: list[int]) -> float | None:
    """For a weighted pool, the ``s`` at which ``Σ w_k log(x_k(s)/B_k) = 0`` with
    ``x_k(s) = B_k + γΔ_k − sΛ_k``, in floats (``None`` for other pools or no root).

    That sum is concave and decreasing in ``s`` and negative at ``s = 1``, so Newton's
    method from ``s = 1`` approaches its root from above (Balancer's invariant, the
    whitepaper's value function ``∏ B_k^{w_k}``)."""
    if not isinstance(pool, WeightedPool):
        return None
    gamma = (BPS - pool.fee_bps) / BPS
    w = pool.normalized_weights
    s = 1.0
    for _ in range(8):
        value = 0.0
        slope = 0.0
        for wk, b, d, r in zip(w, pool.reserves, tendered, received, strict=True):
            change = (gamma * d - s * r) / b
            if change <= -1.0:
                return None
            value += wk * math.log1p(change)
            slope -= wk * r / (b * (1.0 + change))
        if value >= 0.0 or slope >= 0.0:
            break
        s -= value / slope
        if s <= 0.0:
            return None
    return s


def _shrink_to_accept(pool: Pool, tendered: list[int], received: list[int]) -> list[int]:
    """``floor(received·s)`` for an ``s = a/2⁴⁰ ≤ 1`` the pool exactly accepts.

    For weighted pools ``s`` is first tried a relative 1e-12 inside the float root
    (:func:`_weighted_scale`), which the exact check nearly always confirms. Otherwise,
    acceptance being monotone in ``s`` (receiving less never hurts the invariant) and
    holding at ``s = 0``, bisection finds the largest such ``s`` to within 2⁻⁴⁰.
    """
    t = tuple(tendered)
    if pool.accepts(t, tuple(received)):
        return received
    one = 1 << 40
    lo, hi = 0, one  # accepted at lo, rejected at hi
    guess = _weighted_scale(pool, tendered, received)
    if guess is not None:  # the float root, a hair inside: usually one exact check
        a = min(max(int(guess * (1.0 - 1e-12) * one), 0), one - 1)
        if pool.accepts(t, tuple(r * a // one for r in received)):
            return [r * a // one for r in received]
        hi = a
    for step in (1, 1 << 8, 1 << 16, 1 << 24, 1 << 32):  # near misses first
        if one - step >= hi:
            continue
        if pool.accepts(t, tuple(r * (one - step) // one for r in received)):
            lo = one - step
            break
        hi = one - step
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if pool.accepts(t, tuple(r * mid // one for r in received)):
            lo = mid
        else:
            hi = mid
    return [r * lo // one for r in received]


def _pays(pool: Pool, tendered: list[int], received: list[int]) -> list[int]:
    """What the pool pays for ``tendered``: exact ``out_given_in`` for one pair, else the
    plan ``received`` shrunk until the pool's exact invariant accepts it."""
    ins = [k for k, d in enumerate(tendered) if d > 0]
    outs = [k for k, r in enumerate(received) if r > 0]
    if not ins or not outs:
        return [0] * len(received)
    if len(ins) == 1 and len(outs) == 1:
        got = [0] * len(received)
        got[outs[0]] = pool.out_given_in(ins[0], outs[0], tendered[ins[0]])
        return got
    return _shrink_to_accept(pool, tendered, received)


def to_integers(
    pools: tuple[Pool, ...],
    n: int,
    lb_int: list[int],
    trades: dict[int, tuple[NDArray[np.intp], Array, Array]],
    pass_through: Array,
) -> dict[int, tuple[list[int], list[int]]]:
    """Integer trades ``{pool: (tendered, received)}`` (local, base units), executable
    on-chain: each accepted by its pool exactly, with integer net flow ``≥ lb_int``.

    ``pass_through[k]`` marks tokens the float plan routes onwards (net at its bound):
    integer dust left on them is tendered on, so a swap spends its whole budget.
    """
    plan: dict[int, tuple[list[int], list[int]]] = {}
    ids: dict[int, list[int]] = {}
    users: list[set[int]] = [set() for _ in range(n)]  # pools tendering each token
    single: dict[int, bool] = {}  # pools trading one token for one other
    psi = [0] * n

    def book(p: int, tend: list[int], rec: list[int], sign: int) -> None:
        for k, d, r in zip(ids[p], tend, rec, strict=True):
            psi[k] += sign * (r - d)
            if d > 0:
                (users[k].add if sign > 0 else users[k].discard)(p)

    def set_trade(p: int, tend: list[int], rec: list[int]) -> None:
        if p in plan:
            book(p, *plan[p], -1)
        plan[p] = (tend, rec)
        book(p, tend, rec, +1)
        single[p] = sum(d > 0 for d in tend) == 1 and sum(r > 0 for r in rec) == 1

    for p, (tokens, dlt, lam) in trades.items():
        tend = [math.ceil(float(d)) for d in dlt]  # up: receipts then lose only a floor
        if not any(tend):
            continue
        ids[p] = [int(k) for k in tokens]
        set_trade(p, tend, _pays(pools[p], tend, [math.floor(r) for r in lam]))
    # cut tenders of short tokens until every bound holds (each cut lowers Σ tenders)
    short = [k for k in range(n) if psi[k] < lb_int[k]]
    budget = 20 * len(plan) + 100  # cuts round a profitable cycle can grow: then give up
    while short:
        budget -= 1
        if budget < 0:
            return {}
        k = short.pop()
        if psi[k] < lb_int[k]:
            p = max(users[k], key=lambda q: (plan[q][0][ids[q].index(k)], -q))
            tend, rec = plan[p]
            local = ids[p].index(k)
            tend = list(tend)
            tend[local] -= min(lb_int[k] - psi[k], tend[local])
            got = _pays(pools[p], tend, rec)
            set_trade(p, tend, [min(a, b) for a, b in zip(got, rec, strict=True)])
            short.extend(j for j in ids[p] if psi[j] < lb_int[j] and j not in short)
            if psi[k] < lb_int[k] and k not in short:
                short.append(k)
    # push dust on through pass-through tokens (more tendered, more paid: no shortfall)
    for _ in range(4 * n + 4):
        moved = False
        for k in range(n):
            extra = psi[k] - lb_int[k]
            if extra <= 0 or not pass_through[k]:
                continue
            pairs = [p for p in users[k] if single[p]]
            if not pairs:
                continue
            p = max(pairs, key=lambda q: (plan[q][0][ids[q].index(k)], -q))
            tend = list(plan[p][0])
            tend[ids[p].index(k)] += extra
            set_trade(p, tend, _pays(pools[p], tend, plan[p][1]))
            moved = True
        if not moved:
            break
    return {p: tr for p, tr in plan.items() if any(tr[0]) or any(tr[1])}
