"""The pure parts of :mod:`accord.contracts.cow`'s settlement: the registered pools as
curves, the valuation, and the solution's pool trades as swaps. No device here: each
function takes exact integers and pools, so it is testable alone.

The solver (:func:`accord.mechanisms.batch.clear`) already returns what a settlement
contract needs: its pool trades are single swaps in an order that spends only what the
orders sold and earlier swaps delivered, each pool trades its net flow in one direction,
and what the pools pay beyond the clearing prices goes back to the buyers by price
improvement (docs/batch.md). So the contract runs the swaps as listed and pays the fills
as they are; only the rounding dust stays behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from accord.mechanisms import cfmm
from accord.mechanisms.batch import BatchResult

PoolSpec = tuple[str, str, tuple[str, ...], int, tuple[int, ...]]
"""A registered pool: ``(address, kind, tokens, fee_bps, params)``."""

_VALUATION_DENOMINATOR = 10**12


def curve(spec: PoolSpec, reserves: tuple[int, ...]) -> cfmm.Pool:
    """The ``cfmm`` pool a registered pool is at ``reserves``."""
    _, kind, tokens, fee, params = spec
    if kind == "weighted":
        return cfmm.WeightedPool(reserves, params, fee, tokens)
    if kind == "constant_sum":
        return cfmm.ConstantSumPool(reserves, fee, params, tokens)
    return cfmm.ProductPool(reserves, fee, tokens)


def valuation(
    curves: Sequence[cfmm.Pool], numeraire: str, tokens: Sequence[str]
) -> dict[str, Fraction]:
    """Reference prices per base unit from the pools' spot prices (fee excluded).

    Breadth first from ``numeraire`` over the pools, in their order; a token the pools do
    not connect to it is priced from the smallest token of its own component (at 1), and a
    token no pool trades is worth 1. Prices are rounded to denominators ≤ 10¹² (they only
    weigh the orders' surpluses against each other).
    """
    price: dict[str, Fraction] = {}
    names = sorted({t for c in curves for t in c.tokens} | set(tokens))
    for root in ([numeraire] if numeraire in names else []) + names:
        if root in price:
            continue
        price[root] = Fraction(1)
        frontier = [root]
        while frontier:
            nxt: list[str] = []
            for c in curves:
                for a in frontier:
                    if a not in c.tokens:
                        continue
                    i = c.index(a)
                    for j, b in enumerate(c.tokens):
                        if b in price or j == i:
                            continue
                        spot = c.spot_price(j, i)  # units of a per unit of b
                        if spot > 0:
                            price[b] = (price[a] * spot).limit_denominator(_VALUATION_DENOMINATOR)
                            if price[b] == 0:
                                price[b] = Fraction(1, _VALUATION_DENOMINATOR)
                            nxt.append(b)
            frontier = nxt
    return price


@dataclass(frozen=True, slots=True)
class Swap:
    """One pool swap of a settlement: ``amount`` of ``asset_in`` for at least ``min_out``
    (the planned output) on ``pool`` (the solver's pool index ``q``)."""

    q: int
    pool: str
    asset_in: str
    asset_out: str
    amount: int
    min_out: int


def swap_plan(result: BatchResult, specs: Sequence[PoolSpec]) -> list[Swap]:
    """The solution's pool trades as swaps, in the order the solver ran them (each spends
    only what the orders sold and earlier swaps delivered, so the contract can fund them
    in this order from the orders' escrow). ``specs[q]`` is the pool the solver knew as
    ``q``."""
    swaps: list[Swap] = []
    for trade in result.pool_trades:
        (i,) = [k for k, d in enumerate(trade.tendered) if d]
        (j,) = [k for k, r in enumerate(trade.received) if r]
        address, tokens = specs[trade.pool][0], specs[trade.pool][2]
        swaps.append(
            Swap(trade.pool, address, tokens[i], tokens[j], trade.tendered[i], trade.received[j])
        )
    return swaps
