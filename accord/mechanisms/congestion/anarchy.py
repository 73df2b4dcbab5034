"""The price of anarchy with certified bounds from the two Frank–Wolfe gaps.

The price of anarchy is ``L*/C*``: the Wardrop equilibrium's total cost over the
optimum's (Koutsoupias & Papadimitriou, "Worst-case equilibria", STACS 1999;
Roughgarden & Tardos, "How bad is selfish routing?", JACM 2002, who prove it is at most
4/3 with affine costs). Both solves stop at a tolerance, so both costs are bracketed:

**The optimum.** ``C(f) − gap ≤ C* ≤ C(f)`` for the computed optimum ``f`` (its
Frank–Wolfe gap bounds ``C(f) − C*``; :mod:`accord.mechanisms.congestion.solve`).

**The equilibrium.** Its total cost is ``L* = Σ_k D_k π*_k``, with ``π*_k`` the common
latency of demand ``k``'s used paths. Let ``f`` be the computed flow, ``G`` its gap and
``f*`` an equilibrium. Writing ``B_e(a, b) = ∫_b^a c_e − c_e(b)(a − b) ≥ 0``,

    G ≥ Φ(f) − Φ(f*) = Σ_e B_e(f_e, f*_e) + c(f*)·(f − f*) ≥ Σ_e B_e(f_e, f*_e),

since ``c(f*)·(f − f*) ≥ 0`` is the variational inequality an equilibrium satisfies
(Smith, "The existence, uniqueness and stability of traffic equilibria", Transp. Res.
B 1979). ``B_e(a, ·)`` grows as ``b`` moves away from ``a``, so each ``f*_e`` lies in
the interval ``{b ∈ [0, D_e] : B_e(f_e, b) ≤ G}`` (``D_e``: the demand that can reach
the edge, the most an acyclic equilibrium puts on it), found by bisection; each
equilibrium latency lies between the costs at the interval's ends, and since a shortest
path's cost is monotone in the edge costs, ``π*_k`` lies between the shortest paths
under the low and the high latencies. Constant-cost edges give no interval on their
flow, but need none: their latency is known. The bracket narrows like ``√G``.

Hence ``PoA ∈ [max(1, L_lo/C_hi), L_hi/C_lo]``, each end certified up to floating-point
rounding (a slack of 1e-12 of the potential is added to ``G``).

For value games (every cost a fraction of the value routed: CFMM edges, and links that
charge a fraction), Kulkarni, Diamandis & Chitra (WINE 2023, §3) compare instead the
value delivered: :attr:`Anarchy.value_ratio` is ``(D − C*)/(D − L*)``, optimum output
over equilibrium output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from accord.mechanisms.congestion.network import Game
from accord.mechanisms.congestion.solve import Flow, optimum, wardrop

Array = NDArray[np.float64]

__all__ = ["Anarchy", "equilibrium_cost_bounds", "flow_bounds", "price_of_anarchy"]

BISECTIONS = 60


def _bregman(game: Game, a: Array, b: Array) -> Array:
    """``B_e(a_e, b_e) = I(a) − I(b) − c(b)(a − b)`` per edge."""
    table = game.table
    return np.asarray(
        table.potential(a) - table.potential(b) - table.latency(b) * (a - b), dtype=float
    )


def flow_bounds(flow: Flow) -> tuple[Array, Array]:
    """Per edge, an interval that holds the equilibrium's flow (see module docstring)."""
    if flow.kind != "wardrop":
        raise ValueError("flow_bounds certifies a Wardrop flow, not an optimum")
    game = flow.game
    a = flow.edge_flow
    top = np.maximum(game.reach, a)
    slack = flow.gap + 1e-12 * max(1.0, float(np.abs(game.table.potential(a)).sum()))

    def bound(far: Array) -> Array:
        ok = _bregman(game, a, far) <= slack  # the whole side is allowed
        near, out = a.copy(), far.copy()  # B(a, near) ≤ slack < B(a, out)
        for _ in range(BISECTIONS):
            mid = 0.5 * (near + out)
            inside = _bregman(game, a, mid) <= slack
            near = np.where(inside, mid, near)
            out = np.where(inside, out, mid)
        return np.where(ok, far, out)

    return bound(np.zeros_like(a)), bound(top)


def equilibrium_cost_bounds(flow: Flow) -> tuple[float, float]:
    """An interval holding the Wardrop equilibrium's total cost ``L* = Σ D_k π*_k``."""
    lo, hi = flow_bounds(flow)
    game = flow.game
    table = game.table
    starts = np.array([m[0] for m in game.members], dtype=np.intp)
    low = np.minimum.reduceat(game.incidence.T @ table.latency(lo), starts)
    high = np.minimum.reduceat(game.incidence.T @ table.latency(hi), starts)
    return float(np.dot(game.amounts, low)), float(np.dot(game.amounts, high))


@dataclass(frozen=True, eq=False)
class Anarchy:
    """A game's equilibrium, optimum and price of anarchy, with certified brackets."""

    equilibrium: Flow
    optimum: Flow
    equilibrium_cost: tuple[float, float]
    optimal_cost: tuple[float, float]

    @property
    def poa(self) -> float:
        """The computed flows' cost ratio (inside :attr:`poa_bounds` up to the tolerance)."""
        cost = self.optimum.total_cost
        return self.equilibrium.total_cost / cost if cost > 0 else math.inf

    @property
    def poa_bounds(self) -> tuple[float, float]:
        """``[max(1, L_lo/C_hi), L_hi/C_lo]``: the price of anarchy is in here."""
        (l_lo, l_hi), (c_lo, c_hi) = self.equilibrium_cost, self.optimal_cost
        low = max(1.0, l_lo / c_hi) if c_hi > 0 else 1.0
        high = l_hi / c_lo if c_lo > 0 else math.inf
        return low, max(low, high)

    @property
    def value_ratio(self) -> float:
        """``(D − C)/(D − L)`` at the computed flows: value delivered, optimum over
        equilibrium (Kulkarni, Diamandis & Chitra's analogue for value games)."""
        d = self.equilibrium.game.total_demand
        out_eq = d - self.equilibrium.total_cost
        return (d - self.optimum.total_cost) / out_eq if out_eq > 0 else math.inf

    @property
    def value_ratio_bounds(self) -> tuple[float, float]:
        """An interval holding ``(D − C*)/(D − L*)``."""
        d = self.equilibrium.game.total_demand
        (l_lo, l_hi), (c_lo, c_hi) = self.equilibrium_cost, self.optimal_cost
        low = (d - c_hi) / (d - l_lo) if d > l_lo else math.inf
        high = (d - c_lo) / (d - l_hi) if d > l_hi else math.inf
        return max(1.0, low), max(1.0, low, high)


def price_of_anarchy(
    game: Game, *, tol: float = 1e-12, max_iterations: int = 20_000, method: str = "pairwise"
) -> Anarchy:
    """Solve both problems to ``tol`` and bracket the price of anarchy."""
    eq = wardrop(game, tol=tol, max_iterations=max_iterations, method=method)
    opt = optimum(game, tol=tol, max_iterations=max_iterations, method=method)
    c_hi = opt.total_cost
    c_lo = max(0.0, c_hi - opt.gap)
    l_lo, l_hi = equilibrium_cost_bounds(eq)
    l_lo = max(l_lo, c_lo)  # no equilibrium costs less than the optimum
    return Anarchy(eq, opt, (l_lo, l_hi), (c_lo, c_hi))
