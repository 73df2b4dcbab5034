"""The pure parts of :mod:`accord.contracts.cow`'s settlement shared with its solvers:
the registered pools as curves and the reference valuation that scores solutions. No
device here: each function takes exact integers and pools (no float), so the contract
and a solver off the device compute the same valuation from the same reserves.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from accord.mechanisms import cfmm

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
