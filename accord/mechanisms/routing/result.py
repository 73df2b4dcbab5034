"""What the router returns: a :class:`Route` with its certificate, and its trades.

The trades are kept as arrays (:class:`Block`: one per pool arity), as the solvers
produce them; the per-pool :class:`Trade` objects are built from them on first use, so
that routing ten thousand pools does not pay for ten thousand Python objects nobody reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
IntArray = NDArray[np.intp]

__all__ = ["Block", "Route", "Trade", "blocks_of"]


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


@dataclass(frozen=True, eq=False)
class Block:
    """The float trades of pools of one arity: rows are pools (``pools``, global
    indices), columns their tokens (``tokens``, global indices)."""

    pools: IntArray
    tokens: IntArray
    tendered: Array
    received: Array


def blocks_of(trades: Mapping[int, tuple[IntArray, Array, Array]]) -> tuple[Block, ...]:
    """``{pool: (tokens, Δ, Λ)}`` as blocks, grouped by arity, pools ascending."""
    by_arity: dict[int, list[int]] = {}
    for p in sorted(trades):
        by_arity.setdefault(len(trades[p][0]), []).append(p)
    return tuple(
        Block(
            np.array(ids, dtype=np.intp),
            np.array([trades[p][0] for p in ids], dtype=np.intp),
            np.array([trades[p][1] for p in ids], dtype=float),
            np.array([trades[p][2] for p in ids], dtype=float),
        )
        for _, ids in sorted(by_arity.items())
    )


@dataclass(frozen=True)
class Route:
    """A routed trade with its certificate.

    ``value`` is the objective ``cᵀΨ`` of the float plan and ``value_int`` of the integer
    execution; ``net``/``net_int`` the net flow to the trader per token (global order,
    ``tokens``); ``prices`` the dual prices ``ν``; ``dual_value`` the upper bound
    ``g(ν)``; ``gap = dual_value − value ≥ 0`` and ``relative_gap = gap /
    max(dual_value, 1e-12·(value at ν of the reserves of the pools that trade))``.
    ``method`` says which solver produced it: ``"newton"`` (projected Newton on the
    dual, strictly convex pools) or ``"lp"`` (L-BFGS-B and column generation on the
    recovery LP). ``blocks`` hold the float trades and ``integer_trades`` the base units
    by pool (``None`` when integer execution was skipped); :attr:`trades` reads both.
    """

    tokens: tuple[str, ...]
    value: float
    value_int: float
    net: tuple[float, ...]
    net_int: tuple[int, ...]
    prices: tuple[float, ...]
    dual_value: float
    gap: float
    relative_gap: float
    iterations: int
    evaluations: int
    method: str
    blocks: tuple[Block, ...] = field(repr=False, compare=False)
    integer_trades: Mapping[int, tuple[list[int], list[int]]] | None = field(
        repr=False, compare=False
    )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Route):
            return NotImplemented
        mine = (self.value, self.net, self.net_int, self.prices, self.dual_value, self.trades)
        theirs = (other.value, other.net, other.net_int, other.prices, other.dual_value)
        return self.tokens == other.tokens and mine == (*theirs, other.trades)

    __hash__ = None  # type: ignore[assignment]

    @cached_property
    def trades(self) -> tuple[Trade, ...]:
        """Every pool the float plan trades with, by pool index."""
        rows: list[tuple[int, Block, int]] = []
        for b in self.blocks:
            moving = (b.tendered > 0).any(axis=1) | (b.received > 0).any(axis=1)
            rows.extend((int(b.pools[r]), b, int(r)) for r in np.flatnonzero(moving))
        rows.sort(key=lambda row: row[0])
        out: list[Trade] = []
        for pool, b, r in rows:
            ids = b.tokens[r]
            if self.integer_trades is None:
                ti: list[int] = []
                ri: list[int] = []
            else:
                ti, ri = self.integer_trades.get(pool, ([0] * len(ids), [0] * len(ids)))
            out.append(
                Trade(
                    pool=pool,
                    tokens=tuple(self.tokens[k] for k in ids),
                    tendered=tuple(float(x) for x in b.tendered[r]),
                    received=tuple(float(x) for x in b.received[r]),
                    tendered_int=tuple(ti),
                    received_int=tuple(ri),
                )
            )
        return tuple(out)

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
