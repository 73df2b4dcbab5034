"""How the sandwich loss η and the demand move the equilibrium and the price of anarchy.

:func:`sweep` solves one game per value (every CFMM edge under loss ``η``, or every
demand scaled) and returns one row per value: the certified price-of-anarchy bracket,
both total costs, the value ratio and each edge's flow at the equilibrium and at the
optimum (keyed by the edge's name, or ``e<index>``). Rows are plain dicts, ready for a
table or JSON (``examples/congestion_poa.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accord.mechanisms.congestion.anarchy import price_of_anarchy
from accord.mechanisms.congestion.network import Game

__all__ = ["row", "sweep"]


def row(game: Game, **labels: float) -> dict[str, Any]:
    """One game's equilibrium, optimum and price of anarchy as a flat dict."""
    result = price_of_anarchy(game)
    low, high = result.poa_bounds
    vlow, vhigh = result.value_ratio_bounds
    out: dict[str, Any] = {
        **labels,
        "poa": result.poa,
        "poa_low": low,
        "poa_high": high,
        "cost_eq": result.equilibrium.total_cost,
        "cost_opt": result.optimum.total_cost,
        "value_ratio": result.value_ratio,
        "value_ratio_low": vlow,
        "value_ratio_high": vhigh,
        "gap_eq": result.equilibrium.gap,
        "gap_opt": result.optimum.gap,
    }
    for e, edge in enumerate(game.edges):
        name = edge.name or f"e{e}"
        out[f"eq_{name}"] = float(result.equilibrium.edge_flow[e])
        out[f"opt_{name}"] = float(result.optimum.edge_flow[e])
    return out


def sweep(
    game: Game, *, etas: Sequence[float] = (), demands: Sequence[float] = ()
) -> list[dict[str, Any]]:
    """Rows over ``etas`` (each CFMM edge's sandwich loss) or ``demands`` (scale factors
    on every demand); give exactly one of the two."""
    if bool(etas) == bool(demands):
        raise ValueError("sweep takes exactly one of etas or demands")
    if etas:
        return [row(game.with_eta(float(eta)), eta=float(eta)) for eta in etas]
    return [row(game.with_demand(float(s)), demand=float(s)) for s in demands]
