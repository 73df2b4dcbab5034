"""Stabilised column generation on the recovery LP (see :mod:`accord.mechanisms.routing`).

Dantzig–Wolfe decomposition of optimal routing: the LP over combinations of each pool's
candidate trades (:func:`accord.mechanisms.routing.primal.recover`) is the master problem,
its shadow prices price new columns with the pools' closed-form arbitrage trades, and a
line search towards them (Wentges' in-out stabilisation, "Weighted Dantzig–Wolfe
decomposition for linear mixed-integer programming", ITOR 1997) lowers the dual bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from accord.mechanisms.routing.dual import pool_values
from accord.mechanisms.routing.network import FloatView
from accord.mechanisms.routing.primal import (
    CsPool,
    Recovery,
    SmoothTrade,
    net_flow,
    recover,
    rounding_margins,
)

Array = NDArray[np.float64]

__all__ = ["Master", "Priced", "column_generation", "columns_at", "margins", "price"]

_ROUNDS = 40  # column-generation rounds at most
_TRUST = 10.0  # LP prices are clipped to within this factor of the best prices so far
_SEARCH_STEPS = 8  # bisection steps on the segment to the LP's prices
_GAP_TOL = 1e-8  # relative gap below which no column-generation round runs
_STALL_GAP = 1e-6  # below this relative gap, stalling ends column generation
_STALL = 0.9  # a column-generation round must shrink the gap 10% in two rounds


@dataclass(frozen=True, eq=False)
class Priced:
    """The unsmoothed dual at one ``ν``: ``g(ν)``, a subgradient ``Ψ(ν) − lb``, and
    the pools' optimal trades (by group) from which LP columns are made."""

    nu: Array
    value: float
    grad: Array
    nets: list[tuple[int, Array]]


def price(view: FloatView, c: Array, lb: Array, nu: Array) -> Priced:
    total, grad, nets = pool_values(view, nu, None, nu)
    return Priced(nu, total - float(np.dot(nu - c, lb)), grad - lb, nets)


def columns_at(view: FloatView, priced: Priced) -> list[SmoothTrade]:
    """Each product or weighted pool's optimal trade at the priced ``ν``, as an LP column.

    Received amounts shrink by 1e-12 so that the pool's invariant holds in floats
    despite rounding in the closed forms.
    """
    out: list[SmoothTrade] = []
    for gi, net in priced.nets:
        g = view.groups[gi]
        if g.kind == "constant_sum":
            continue
        net = np.where(net > 0, net * (1.0 - 1e-12), net)
        for row in np.flatnonzero(np.abs(net).sum(axis=1) > 0):
            out.append(SmoothTrade(int(g.pools[row]), g.tokens[row], net[row]))
    return out


def _model(columns: list[SmoothTrade], nu: Array) -> dict[int, float]:
    """Each pool's cutting-plane model ``max(0, max_columns νᵀx)`` at ``nu``."""
    out: dict[int, float] = {}
    for col in columns:
        v = float(np.dot(nu[col.tokens], col.net))
        if v > out.get(col.pool, 0.0):
            out[col.pool] = v
    return out


def _segment_search(
    view: FloatView, c: Array, lb: Array, best: Priced, lp: Array
) -> tuple[Priced, Priced, list[Priced]]:
    """``(lowest, far, visited)``: the lowest ``g`` found on the segment from ``best.nu``
    to ``lp``, the point at ``lp`` itself, and every point priced. ``g`` is convex on
    the segment, so bisection on the sign of its directional derivative (one pricing
    pass per step) brackets the minimum."""
    d = lp - best.nu
    far = price(view, c, lb, lp)
    if float(np.dot(far.grad, d)) <= 0.0:
        return far, far, [far]  # g still falls at the LP's prices: take them
    low = far if far.value < best.value else best
    visited = [far]
    lo, hi = 0.0, 1.0
    for _ in range(_SEARCH_STEPS):
        t = 0.5 * (lo + hi)
        mid = price(view, c, lb, best.nu + t * d)
        visited.append(mid)
        if mid.value < low.value:
            low = mid
        if float(np.dot(mid.grad, d)) > 0.0:
            hi = t
        else:
            lo = t
    return low, far, visited


@dataclass(frozen=True, eq=False)
class Master:
    """The recovery LP's fixed data: the pools (``view``, and the constant-sum pools as
    exact variables), the objective ``c``, the tokens the route may use, the LP's value
    and row scales, and the floor under relative gaps. ``columns`` grows in place."""

    view: FloatView
    c: Array
    active: NDArray[np.bool_]
    sums: list[CsPool]
    value_scale: float
    token_scale: Array
    floor: float
    columns: list[SmoothTrade]

    def solve(self, lb: Array) -> Recovery | None:
        n = self.view.n_tokens
        return recover(n, self.c, lb, self.columns, self.sums, self.value_scale, self.token_scale)

    def value(self, plan: Recovery) -> float:
        return float(np.dot(self.c, net_flow(self.view.n_tokens, plan.trades)))


def column_generation(
    master: Master, lb: Array, nu: Array, enough: float = math.inf
) -> tuple[Recovery, Priced]:
    """Stabilised column generation on the recovery LP: ``(plan, best priced ν)``.

    Each round solves the LP (its value is a feasible route's), then searches the
    segment from the best dual prices so far to the LP's shadow prices for the lowest
    ``g`` (a line-search form of Wentges' in-out stabilisation): that lowers the bound,
    and the pools' trades at the points searched become new columns. If the trades at
    the lowest point do not cut the LP's prices (mis-pricing), the trades at the LP's
    prices themselves are added too (a Kelley step), which either cuts or proves the
    LP optimal. Stops once the gap is at round-off level (``_GAP_TOL``), the plan is
    worth ``enough``, two rounds have not shrunk the gap by a tenth (the LP's own
    round-off, see :func:`recover`, is then the limit), or after ``_ROUNDS`` rounds.
    """
    view, c, columns = master.view, master.c, master.columns
    best = price(view, c, lb, nu)
    plan = Recovery({}, np.full(view.n_tokens, np.nan))  # the zero route: lb ≤ 0 holds
    solved = len(columns)  # columns in the last LP that HiGHS solved (or the first)
    gaps: list[float] = []
    for _round in range(_ROUNDS):
        found = master.solve(lb)
        if found is None:  # infeasible, or numerical trouble with the latest columns
            del columns[solved:]
            break
        plan, solved = found, len(columns)
        value = master.value(plan)
        gaps.append(best.value - value)
        scale = max(best.value, master.floor)
        if gaps[-1] <= _GAP_TOL * scale or value >= enough:
            break
        if len(gaps) > 2 and gaps[-1] > _STALL * gaps[-3] and gaps[-1] <= _STALL_GAP * scale:
            break
        # the LP's prices, within a trust region around the best prices so far (prices
        # far from them give huge, useless trades that only upset HiGHS's numerics)
        # A token no column trades has no row in the LP. With budget to spare (lb < 0)
        # its constraint is slack, so complementary slackness prices it at c; the best
        # prices so far would leave a dual stuck inside every band it touches (no
        # columns, so no rows, so no prices: the empty route forever).
        lp = np.where(np.isfinite(plan.prices), plan.prices, np.where(lb < 0, c, best.nu))
        lp = np.clip(lp, best.nu / _TRUST, best.nu * _TRUST)
        lp = np.where(master.active, np.maximum(lp, c), 0.0)
        before = _model(columns, lp)
        low, far, visited = _segment_search(view, c, lb, best, lp)
        best = low if low.value < best.value else best
        fresh = columns_at(view, low)
        cut = sum(
            max(0.0, float(np.dot(lp[col.tokens], col.net)) - before.get(col.pool, 0.0))
            for col in fresh
        )
        for point in visited:  # the other points of the search are columns too
            if point is not low and point is not far:
                fresh += columns_at(view, point)
        if cut <= 1e-3 * gaps[-1] and low is not far:  # mis-pricing: a Kelley step
            fresh += columns_at(view, far)
        columns += fresh
    return plan, best


def margins(n: int, plan: Recovery) -> Array:
    """Base units to keep on every token the plan tenders (:func:`rounding_margins`)."""
    tendered = np.zeros(n)
    moved = np.zeros(n)
    touching = np.zeros(n)
    for tk, dlt, lam in plan.trades.values():
        np.add.at(tendered, tk, dlt)
        np.add.at(moved, tk, dlt + lam)
        np.add.at(touching, tk, 1.0)
    return rounding_margins(tendered, touching, moved)
