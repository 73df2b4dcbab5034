"""What a game's metrics mean: each one's unit, support, meaning and better direction.

A game declares its glossary next to the code that computes the metrics (the class
attribute ``glossary`` of a :class:`~accord.games.base.Game`), and the lab's report
renders it: a reader should never have to open the source to learn that
``user_surplus_bps`` is measured against the need's best route alone, or that a lower
``failed_txs`` is better.

The **support** is the set a metric's values can take (``[0, ∞)`` for a count or an
amount that cannot be negative, ``[0, 1]`` for a share or an indicator, the whole line
for a P&L). The lab's intervals respect it (:mod:`accord.lab.stats`): no interval of a
count reaches below zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "NON_NEGATIVE",
    "REAL",
    "UNIT_INTERVAL",
    "Better",
    "Glossary",
    "Metric",
    "Support",
    "glossary",
]


@dataclass(frozen=True)
class Support:
    """The closed interval ``[low, high]`` a metric's values lie in (infinite ends open).

    An infinite value is allowed at an infinite end (a price of anarchy when welfare is
    zero is ``+∞``).
    """

    low: float = -math.inf
    high: float = math.inf

    def __post_init__(self) -> None:
        if math.isnan(self.low) or math.isnan(self.high) or self.low > self.high:
            raise ValueError(f"support [{self.low}, {self.high}] is not an interval")

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the support (NaN never does)."""
        return self.low <= value <= self.high

    def clip(self, value: float) -> float:
        """``value`` moved into the support (NaN stays NaN)."""
        return value if math.isnan(value) else min(max(value, self.low), self.high)

    def __str__(self) -> str:
        def end(x: float) -> str:
            if math.isinf(x):
                return "∞" if x > 0 else "−∞"
            return f"{x:g}"

        left = "(" if math.isinf(self.low) else "["
        right = ")" if math.isinf(self.high) else "]"
        return f"{left}{end(self.low)}, {end(self.high)}{right}"


REAL = Support()
"""Any real number: a P&L, a surplus, a difference."""
NON_NEGATIVE = Support(0.0)
"""``[0, ∞)``: a count, an amount of gas, a fee paid, a value that cannot be negative."""
UNIT_INTERVAL = Support(0.0, 1.0)
"""``[0, 1]``: a share, a price of a binary outcome, an indicator (0 or 1)."""


class Better(StrEnum):
    """Which way a metric is better, from the users' (the design's) point of view."""

    HIGHER = "higher"
    LOWER = "lower"
    NEITHER = "neither"
    """Descriptive: the number of needs drawn, a TWAP, who extracted what."""


@dataclass(frozen=True)
class Metric:
    """One metric: its column name, unit, support, one-sentence meaning and direction.

    ``headline`` marks the few metrics ``accord run`` prints at the end of a sweep (the
    report shows every metric).
    """

    name: str
    unit: str
    support: Support
    meaning: str
    better: Better
    headline: bool = False

    def __post_init__(self) -> None:
        if not self.name or not self.unit or not self.meaning.strip():
            raise ValueError(f"metric {self.name!r} needs a name, a unit and a meaning")


Glossary = Mapping[str, Metric]
"""Metric name -> its declaration (read-only, in the game's order)."""


def glossary(metrics: Iterable[Metric]) -> Glossary:
    """A read-only glossary from declarations, refusing a name declared twice."""
    out: dict[str, Metric] = {}
    for metric in metrics:
        if metric.name in out:
            raise ValueError(f"metric {metric.name!r} is declared twice")
        out[metric.name] = metric
    return MappingProxyType(out)
