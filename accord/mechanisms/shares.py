"""Pro-rata division of an integer pool: exact, rounded down, the dust named.

Every payout that splits a pool among participants (forfeited commit-reveal deposits,
the slashed stakes a Schelling oracle pays its coherent voters) uses :func:`pro_rata`,
so that each mechanism rounds the same way: each part is ``⌊pool × wᵢ / Σw⌋``, in the
participant's favour never, and the remainder (at most ``len(weights) − 1`` units, or the
whole pool when every weight is zero) is returned as ``dust`` for the caller to send to
its documented place. ``sum(parts) + dust == pool`` always.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class Shares(NamedTuple):
    """The parts of a pool, in the order of the weights, and what rounding left over."""

    parts: tuple[int, ...]
    dust: int


def pro_rata(pool: int, weights: Sequence[int]) -> Shares:
    """Split ``pool`` in proportion to ``weights``, each part rounded down.

    ``pool`` and every weight are non-negative ints (``ValueError`` otherwise). With no
    weights, or all of them zero, nothing can be shared and the whole pool is dust.
    """
    if type(pool) is not int or pool < 0:
        raise ValueError(f"pool must be a non-negative int, got {pool!r}")
    for i, w in enumerate(weights):
        if type(w) is not int or w < 0:
            raise ValueError(f"weight {i} must be a non-negative int, got {w!r}")
    total = sum(weights)
    if total == 0:
        return Shares(tuple(0 for _ in weights), pool)
    parts = tuple(pool * w // total for w in weights)
    return Shares(parts, pool - sum(parts))
