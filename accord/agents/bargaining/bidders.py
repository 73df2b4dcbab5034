"""Bidders for bilateral trade: truthful, or at the mechanism's equilibrium.

A bidder knows its role (``"buyer"`` or ``"seller"``) and its private value or cost, and
says one message to a bilateral mechanism (:mod:`accord.mechanisms.bargaining.bilateral`):

* :class:`TruthfulBidder` reports its type. That is an equilibrium of the direct
  mechanisms built to make it one (the second best, VCG, AGV, a posted price's
  acceptance), and *not* of the double auction or the first best's split-the-difference
  rule, where each side gains by shading (Chatterjee & Samuelson 1983).
* :class:`EquilibriumBidder` plays the strategy the mechanism is evaluated at
  (:meth:`Rule.bid`/:meth:`Rule.ask`): in the k-double auction Chatterjee & Samuelson's
  linear bid ``b(v) = (v + k A) / (1 + k)`` or ask ``a(c) = (c + (1 - k) B̄) / (2 - k)``,
  elsewhere the truth.

On the device the mediator takes integer reports in base units inside a published range:
:meth:`Bidder.report` rounds the message to the nearest unit and clamps it into the
range (a report outside it would be refused, and clamping changes no trade a bidder in
range could have made).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from accord.mechanisms.bargaining.bilateral_rule import Rule

Role = Literal["buyer", "seller"]
ROLES: tuple[Role, ...] = ("buyer", "seller")


def _check_role(role: object) -> Role:
    if role == "buyer":
        return "buyer"
    if role == "seller":
        return "seller"
    raise ValueError(f"role must be 'buyer' or 'seller', got {role!r}")


def _check_value(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"value must be a finite real number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"value must be a finite real number, got {value!r}")
    return out


@dataclass(frozen=True)
class Bidder:
    """A trader of the given ``role``; subclasses say which message it sends."""

    role: Role

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", _check_role(self.role))

    def message(self, value: float) -> float:
        """The message for private ``value`` (a cost for a seller), in value units."""
        raise NotImplementedError

    def report(self, value: float, scale: int, low: int, high: int) -> int:
        """:meth:`message` in base units (``scale`` per value unit), rounded to the nearest
        unit and clamped into the published range ``[low, high]``."""
        if type(scale) is not int or scale < 1:
            raise ValueError(f"scale must be a positive int, got {scale!r}")
        if type(low) is not int or type(high) is not int or low > high:
            raise ValueError(f"report range must be ints with low <= high, got [{low!r}, {high!r}]")
        units = math.floor(self.message(value) * scale + 0.5)
        return min(max(units, low), high)


@dataclass(frozen=True)
class TruthfulBidder(Bidder):
    """Reports its type."""

    def message(self, value: float) -> float:
        return _check_value(value)


@dataclass(frozen=True)
class EquilibriumBidder(Bidder):
    """Plays the strategy ``rule`` is evaluated at (the double auction's linear one)."""

    rule: Rule | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.rule, Rule):
            raise ValueError(f"an equilibrium bidder needs a bound Rule, got {self.rule!r}")

    def message(self, value: float) -> float:
        v = _check_value(value)
        assert self.rule is not None  # checked at construction
        play = self.rule.bid if self.role == "buyer" else self.rule.ask
        return float(play(np.array([v]))[0])


BIDDERS: dict[str, type[Bidder]] = {"truthful": TruthfulBidder, "equilibrium": EquilibriumBidder}
"""The bidders by name (the game's ``bidders`` parameter)."""


def make_bidder(kind: str, role: Role, rule: Rule) -> Bidder:
    """A bidder of ``kind`` (``truthful`` or ``equilibrium``) for ``role`` under ``rule``."""
    if kind == "truthful":
        return TruthfulBidder(role)
    if kind == "equilibrium":
        return EquilibriumBidder(role, rule)
    raise ValueError(f"bidders must be one of {sorted(BIDDERS)}, got {kind!r}")
