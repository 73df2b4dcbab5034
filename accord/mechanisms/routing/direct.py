"""The Newton path of :func:`accord.mechanisms.routing.route`: plans, their execution.

For strictly convex pools the route is the pools' closed-form trades at the dual
solution of projected Newton (:mod:`accord.mechanisms.routing.newton`), certified by
its duality gap. Executing a plan in base units (:func:`execute`, through
:func:`accord.mechanisms.routing.primal.to_integers` and cfmm's exact math) can cost a
unit per pool and token, or, round an arbitrage cycle, leave a token short that cutting
tenders only moves on; so, as on the LP path, a second plan keeps margins for rounding
(:func:`route_newton`). :func:`execute`, :func:`int_net` and :func:`held` serve the LP
path too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from accord.mechanisms.routing.network import FloatView, Network
from accord.mechanisms.routing.newton import Direct, newton, recover_direct, unit_margins
from accord.mechanisms.routing.primal import Trades, net_flow, to_integers
from accord.mechanisms.routing.result import Block, Route

Array = NDArray[np.float64]

__all__ = ["MARGIN_COST", "execute", "held", "int_net", "route_newton", "traded_held"]

MARGIN_COST = 1e-7  # relative value the rounding margins may cost at most
_UNIT_GAP = 1e-6  # relative gap a Newton plan with margins for rounding may keep (tiny swaps)


def held(view: FloatView, nu: Array, nets: tuple[Array, ...] | None = None) -> float:
    """The value of the routed reserves at ``ν``; with ``nets`` (trades by group), of
    the reserves of the pools that trade: the floor under relative gaps.

    Only the trading pools count towards a route's floor: a 1e26-unit pool that sits
    in its band beside a swap of 1e10 would otherwise lift the floor (1e-12 of it) far
    above the swap's value, and a loss of 1e-7 of that value would pass as 1e-8.
    """
    total = 0.0
    for i, g in enumerate(view.groups):
        worth = (nu[g.tokens] * g.reserves).sum(axis=1)
        if nets is not None:
            worth = worth[(nets[i] != 0).any(axis=1)]
        total += float(worth.sum())
    return total


def traded_held(network: Network, nu: Array, trades: Trades) -> float:
    """:func:`held` of the pools in ``trades`` (``{pool: (tokens, Δ, Λ)}``)."""
    return sum(
        float(
            np.dot(nu[list(network.pool_tokens[p])], [float(r) for r in network.pools[p].reserves])
        )
        for p, (_, dlt, lam) in trades.items()
        if (np.asarray(dlt) != 0).any() or (np.asarray(lam) != 0).any()
    )


def int_net(n: int, network: Network, ints: dict[int, tuple[list[int], list[int]]]) -> list[int]:
    """Exact integer net flow ``Ψ`` of integer trades ``{pool: (tendered, received)}``."""
    psi = [0] * n
    for p, (tend, rec) in ints.items():
        for k, d, r in zip(network.pool_tokens[p], tend, rec, strict=True):
            psi[k] += r - d
    return psi


def execute(
    network: Network,
    c: Array,
    lb: Array,
    lb_int: list[int],
    trades: Trades,
    psi: Array | None = None,
    tendered: Array | None = None,
) -> tuple[dict[int, tuple[list[int], list[int]]], list[int], float]:
    """Integer execution of a float plan: ``(integer trades, Ψ_int, cᵀΨ_int)``.

    ``psi`` and ``tendered`` (the plan's net flow and what it tenders of each token)
    are computed from ``trades`` unless given."""
    n = len(network.tokens)
    if psi is None:
        psi = net_flow(n, trades)
    if tendered is None:
        tendered = np.zeros(n)
        for tk, dlt, _ in trades.values():
            np.add.at(tendered, tk, dlt)
    pass_through = (c == 0) & (psi - lb <= 1e-9 * np.maximum(tendered, 1.0))
    ints = to_integers(network.pools, n, lb_int, trades, pass_through)
    psi_int = int_net(n, network, ints)
    return ints, psi_int, float(np.dot(c, np.array(psi_int, dtype=float)))


@dataclass(frozen=True, eq=False)
class _Plan:
    """A certified float plan of the Newton path."""

    found: Direct
    blocks: tuple[Block, ...]
    psi: Array
    value: float
    relative_gap: float


def _newton_plan(
    view: FloatView,
    c: Array,
    lb: Array,
    nu0: Array,
    active: NDArray[np.bool_],
    floor: float,
    units: Array | None,
    start: Array | None,
) -> _Plan:
    found = newton(view, c, lb, nu0, active, floor, units=units, start=start)
    nets, psi = recover_direct(view, lb, found.evaluation.nets)
    value = float(np.dot(c, psi))
    floor = 1e-12 * held(view, found.nu, nets)
    relative_gap = (found.value - value) / max(found.value, floor, 1e-300)
    blocks = tuple(
        Block(g.pools, g.tokens, np.maximum(-net, 0.0), np.maximum(net, 0.0))
        for g, net in zip(view.groups, nets, strict=True)
    )
    return _Plan(found, blocks, psi, value, relative_gap)


def _route_of(
    network: Network,
    c: Array,
    lb: Array,
    lb_int: list[int],
    plan: _Plan,
    integers: bool,
    counts: tuple[int, int],
) -> tuple[Route, float]:
    """The plan as a route (executed in base units if ``integers``) and the value
    rounding may cost it: a unit per pool and token it trades, and slack."""
    ints: dict[int, tuple[list[int], list[int]]] | None = None
    psi_int: list[int] = []
    value_int = rounding = 0.0
    if integers:
        n = len(c)
        trades: Trades = {}
        touching = np.zeros(n)
        tendered = np.zeros(n)
        for b in plan.blocks:
            rows = np.flatnonzero((b.received > 0).any(axis=1))
            flat = b.tokens[rows].ravel()
            touching += np.bincount(flat, minlength=n)
            tendered += np.bincount(flat, weights=b.tendered[rows].ravel(), minlength=n)
            for r in rows.tolist():
                trades[int(b.pools[r])] = (b.tokens[r], b.tendered[r], b.received[r])
        ints, psi_int, value_int = execute(network, c, lb, lb_int, trades, plan.psi, tendered)
        rounding = float(np.dot(c, touching + 2.0))
    route = Route(
        tokens=network.tokens,
        value=plan.value,
        value_int=value_int,
        net=tuple(float(x) for x in plan.psi),
        net_int=tuple(psi_int),
        prices=tuple(float(x) for x in plan.found.nu),
        dual_value=plan.found.value,
        gap=plan.found.value - plan.value,
        relative_gap=plan.relative_gap,
        iterations=counts[0],
        evaluations=counts[1],
        method="newton",
        blocks=plan.blocks,
        integer_trades=ints,
    )
    return route, rounding


def route_newton(
    network: Network,
    view: FloatView,
    c: Array,
    lb: Array,
    lb_int: list[int],
    nu0: Array,
    active: NDArray[np.bool_],
    integers: bool,
) -> Route | None:
    """The route of projected Newton (:mod:`accord.mechanisms.routing.newton`), or
    ``None`` (the LP path then decides) when it did not converge, its certified relative
    gap exceeds ``MARGIN_COST`` (``_UNIT_GAP`` with margins for rounding, which a swap of
    a few hundred thousand base units can spend 1e-7 of its value on) and its gap is
    worth more than one base unit of the most valued token (a float plan's loss below
    that is under what integer execution resolves), or its integer execution collapsed.

    For integer execution, as on the LP path, there are two plans: the optimum, and the
    optimum with margins for rounding (:func:`accord.mechanisms.routing.newton.unit_margins`
    of the first, solved from its prices). The margined plan is executed first when it
    costs less than ``MARGIN_COST`` of the value (round an arbitrage cycle rounding
    the plain plan leaves a token short, and cutting one tender only moves the shortfall
    on); the other plan too if rounding cost the first more than a unit per pool and
    token; the one worth more in base units is kept.
    """
    floor = max(1e-12 * held(view, nu0), 1e-300)
    plain = _newton_plan(view, c, lb, nu0, active, floor, None, None)
    unit = float(c.max())  # one base unit of the most valued token: integers resolve no less
    ok = plain.found.converged and (
        plain.relative_gap <= MARGIN_COST or plain.found.value - plain.value <= unit
    )
    if not integers:
        counts = (plain.found.iterations, plain.found.evaluations)
        return _route_of(network, c, lb, lb_int, plain, False, counts)[0] if ok else None
    units = unit_margins(view, plain.found.evaluation)
    safe = _newton_plan(view, c, lb, nu0, active, floor, units, plain.found.nu)
    counts = (
        plain.found.iterations + safe.found.iterations,
        plain.found.evaluations + safe.found.evaluations,
    )
    candidates = [plain] if ok else []
    if safe.found.converged and (
        safe.relative_gap <= _UNIT_GAP or safe.found.value - safe.value <= unit
    ):
        cheap = safe.value >= plain.value - MARGIN_COST * max(plain.found.value, floor)
        candidates.insert(0 if cheap or not ok else 1, safe)
    best: Route | None = None
    for plan in candidates:
        route, rounding = _route_of(network, c, lb, lb_int, plan, True, counts)
        if best is None or route.value_int > best.value_int:
            best = route
        if route.value_int >= plan.value * (1.0 - MARGIN_COST) - rounding:
            break
    if best is None or (best.value > 0 and best.value_int <= 0.5 * best.value):
        return None
    return best
