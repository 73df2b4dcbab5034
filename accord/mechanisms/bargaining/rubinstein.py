"""Alternating offers: Rubinstein's equilibrium split, and its finite-horizon version.

Two players split a pie of size 1. They take turns: the proposer offers a split, the
responder accepts (the game ends) or rejects and proposes in the next period. A share
``x`` received in period ``t`` is worth ``δ_i^t x`` to player ``i`` (``0 < δ_i < 1``).

**Rubinstein** ("Perfect Equilibrium in a Bargaining Model", Econometrica 50, 1982,
Theorem): the game has a unique subgame-perfect equilibrium; the first proposer offers,
and the responder accepts at once, the split::

    x* = (1 - δ2) / (1 - δ1 δ2)            (the first proposer's share)
    1 - x* = δ2 (1 - δ1) / (1 - δ1 δ2)     (the responder's share)

where ``δ1`` is the first proposer's discount factor and ``δ2`` the responder's. The
responder's share is exactly what it would get as the next proposer, discounted once:
``1 - x* = δ2 y*`` with ``y* = (1 - δ1)/(1 - δ1 δ2)`` its own proposer share.

**Finite horizon** (Ståhl, *Bargaining Theory*, 1972): with at most ``T`` periods the
last proposer takes everything, and backward induction gives the proposer of period
``t`` the share ``s_t = 1 - δ_r s_{t+1}`` (``δ_r`` the responder's factor, ``s_T = 1``).
As ``T`` grows, the first proposer's share tends to Rubinstein's ``x*``.

**Frequent offers** (Binmore, Rubinstein & Wolinsky, "The Nash Bargaining Solution in
Economic Modelling", RAND J. Econ. 17, 1986, §3): with ``δ_i = exp(-r_i Δ)`` and the time
between offers ``Δ -> 0``, ``x* -> r2 / (r1 + r2)``: the asymmetric Nash solution with
bargaining powers inversely proportional to the players' impatience.

Discount factors given as ints or Fractions give exact Fractions; a float anywhere gives
floats. Factors outside the open interval (0, 1) are refused: at ``δ = 1`` the
equilibrium is not unique, and at ``δ = 0`` or below the game is not a discounting game.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction
from typing import TypeAlias

__all__ = [
    "MAX_ROUNDS",
    "Share",
    "check_discount",
    "frequent_offers_limit",
    "rates_to_discounts",
    "rubinstein",
    "stahl",
]

Share: TypeAlias = Fraction | float
MAX_ROUNDS = 10_000
"""A finite horizon longer than this is refused (the backward induction is a loop)."""


def check_discount(delta: object, name: str = "delta") -> Share:
    """``delta`` as an exact Fraction (int/Fraction) or a float, strictly inside (0, 1)."""
    if isinstance(delta, bool) or not isinstance(delta, numbers.Real):
        raise TypeError(f"{name} must be a number in (0, 1), got {delta!r}")
    value: Share
    if isinstance(delta, numbers.Rational):
        value = Fraction(int(delta.numerator), int(delta.denominator))
    else:
        value = float(delta)
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number in (0, 1), got {delta!r}")
    if not 0 < value < 1:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {delta!r}")
    return value


def _first(first: object) -> int:
    if type(first) is not int or first not in (0, 1):
        raise ValueError(f"first must be the player who proposes first, 0 or 1, got {first!r}")
    return first


def rubinstein(delta0: object, delta1: object, first: object = 0) -> tuple[Share, Share]:
    """The SPE shares ``(player 0, player 1)`` of Rubinstein's game (module docstring).

    ``delta0``/``delta1`` are the players' discount factors; ``first`` proposes first.
    """
    d = (check_discount(delta0, "delta0"), check_discount(delta1, "delta1"))
    p = _first(first)
    proposer, responder = d[p], d[1 - p]
    x = (1 - responder) / (1 - proposer * responder)
    shares = (x, 1 - x) if p == 0 else (1 - x, x)
    return shares


def stahl(delta0: object, delta1: object, rounds: object, first: object = 0) -> tuple[Share, Share]:
    """The SPE shares ``(player 0, player 1)`` with at most ``rounds`` periods (Ståhl 1972).

    The players alternate, ``first`` proposing in period 0; after the last period
    without agreement both get 0, so the last proposer takes the whole pie.
    """
    d = (check_discount(delta0, "delta0"), check_discount(delta1, "delta1"))
    p = _first(first)
    if isinstance(rounds, bool) or not isinstance(rounds, int) or not 1 <= rounds <= MAX_ROUNDS:
        raise ValueError(f"rounds must be an int in [1, {MAX_ROUNDS}], got {rounds!r}")
    # s: the share of the proposer of period t, from the last period backwards.
    s: Share = 1
    for t in range(rounds - 2, -1, -1):
        responder = 1 - (p + t) % 2
        s = 1 - d[responder] * s
    return (s, 1 - s) if p == 0 else (1 - s, s)


def rates_to_discounts(r0: float, r1: float, dt: float) -> tuple[float, float]:
    """``δ_i = exp(-r_i Δ)``: discount factors from continuous impatience rates."""
    for name, v in (("r0", r0), ("r1", r1), ("dt", dt)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            raise ValueError(f"{name} must be a finite number, got {v!r}")
        if v <= 0:
            raise ValueError(f"{name} must be positive, got {v!r}")
    return (math.exp(-r0 * dt), math.exp(-r1 * dt))


def frequent_offers_limit(r0: float, r1: float) -> tuple[float, float]:
    """The limit of Rubinstein's shares as ``Δ -> 0`` (Binmore, Rubinstein & Wolinsky 1986).

    ``(r1 / (r0 + r1), r0 / (r0 + r1))``, whoever proposes first.
    """
    rates_to_discounts(r0, r1, 1.0)
    return (r1 / (r0 + r1), r0 / (r0 + r1))
