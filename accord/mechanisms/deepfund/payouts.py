"""Money from credit shares: exact integer payouts by the largest-remainder method.

Funding a node with ``amount`` base units pays every node its share in whole units.
:func:`largest_remainder` is Hamilton's method (the largest-remainder apportionment of
seats, Balinski & Young, *Fair Representation*, 1982, ch. 2): each part gets the floor
of its exact quota ``amount · wᵢ / Σw``, and the units left over (fewer than the number
of parts) go one each to the parts with the largest remainders, ties to the earlier
part. So the parts always sum to ``amount`` exactly, and each part is the floor or the
ceiling of its quota.

All of it is integer arithmetic. Float shares (from :func:`accord.mechanisms.deepfund.
propagate`) are taken *exactly*: a float is ``p / 2^k``, so over a common power of two
they become integers (:func:`float_weights`); rational shares (from
:mod:`accord.mechanisms.deepfund.exact`) are brought to a common denominator
(:func:`fraction_weights`). No float ever touches an amount.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction

__all__ = ["apportion", "float_weights", "fraction_weights", "largest_remainder"]


def largest_remainder(amount: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount`` in proportion to non-negative int ``weights``, summing exactly.

    ``ValueError`` if ``amount`` is not a non-negative int, a weight is not a
    non-negative int, or every weight is zero while ``amount > 0`` (nothing to pay).
    """
    if type(amount) is not int or amount < 0:
        raise ValueError(f"amount must be a non-negative int in base units, got {amount!r}")
    for i, w in enumerate(weights):
        if type(w) is not int or w < 0:
            raise ValueError(f"weight {i} must be a non-negative int, got {w!r}")
    total = sum(weights)
    if total == 0:
        if amount:
            raise ValueError(f"cannot split {amount} by weights that are all zero")
        return [0] * len(weights)
    parts = []
    remainders = []
    for w in weights:
        q, rem = divmod(amount * w, total)
        parts.append(q)
        remainders.append(rem)
    left = amount - sum(parts)
    if left:
        order = sorted(range(len(parts)), key=lambda i: (-remainders[i], i))
        for i in order[:left]:
            parts[i] += 1
    return parts


def float_weights(values: Sequence[float]) -> list[int]:
    """Non-negative finite floats as integers in exactly the same proportions.

    Each float is ``p / 2^k`` exactly (``float.as_integer_ratio``); scaled by the largest
    ``2^k`` they are integers with the same ratios, no rounding at all.
    """
    ratios = []
    for i, v in enumerate(values):
        if not (isinstance(v, float | int) and math.isfinite(v) and v >= 0):
            raise ValueError(f"share {i} must be a finite number ≥ 0, got {v!r}")
        ratios.append(float(v).as_integer_ratio())
    if not ratios:
        return []
    top = max(d for _, d in ratios)
    return [p * (top // d) for p, d in ratios]


def fraction_weights(values: Sequence[Fraction]) -> list[int]:
    """Non-negative fractions as integers in the same proportions (common denominator)."""
    for i, v in enumerate(values):
        if not isinstance(v, Fraction | int) or v < 0:
            raise ValueError(f"share {i} must be a non-negative Fraction, got {v!r}")
    fracs = [Fraction(v) for v in values]
    if not fracs:
        return []
    lcm = math.lcm(*(f.denominator for f in fracs))
    return [f.numerator * (lcm // f.denominator) for f in fracs]


def apportion(amount: int, shares: Mapping[str, float | Fraction]) -> dict[str, int]:
    """``{node: units}`` summing to ``amount``, by largest remainder over ``shares``.

    Nodes are taken in sorted name order, so ties go to the alphabetically first node
    whatever the mapping's order; the result lists every node of ``shares`` in that order.
    """
    names = sorted(shares)
    values = [shares[k] for k in names]
    if all(isinstance(v, Fraction) for v in values):
        weights = fraction_weights([v for v in values if isinstance(v, Fraction)])
    else:
        weights = float_weights([float(v) for v in values])
    return dict(zip(names, largest_remainder(amount, weights), strict=True))
