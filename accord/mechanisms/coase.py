"""The durable-goods monopolist (Coase): price paths with and without commitment.

A seller of a durable good faces buyers whose values are uniform on ``[0, vmax]``, over
``T`` periods with a common discount factor ``δ`` per period. Each buyer wants one unit,
buys at most once, and gets ``δ^(t-1) (v - p_t)`` from buying in period ``t``.

**With commitment** (Stokey, "Intertemporal price discrimination", QJE 1979) the seller
can do no better than the static monopoly price ``vmax / 2`` held in every period: every
buyer with ``v ≥ vmax/2`` buys at once, and the revenue is ``vmax/4`` per unit of buyer
mass (``N vmax / 4`` for ``N`` buyers).

**Without commitment** the seller re-prices each period to the buyers left, and buyers,
anticipating it, wait. The subgame-perfect equilibrium in linear strategies (Stokey,
"Rational expectations and durable goods pricing", Bell J. Econ. 1981; Bulow, "Durable-
goods monopolists", JPE 1982) is found by backward induction. With ``n`` periods left
and the buyers left uniform on ``[0, k]``, the seller prices at ``a_n k``, the buyers
above the cutoff ``β_n k`` buy, and the seller's value is ``c_n k²`` (values per unit of
buyer density). The last period is the static monopoly, ``a_1 = 1/2``, ``c_1 = 1/4``;
and for ``n ≥ 2``, with ``γ_n = 1 − δ (1 − a_{n−1})``:

* the marginal buyer ``β_n k`` is indifferent between buying now and buying next period at
  ``a_{n−1} β_n k``: ``β_n k − p = δ (β_n k − a_{n−1} β_n k)``, so ``p = γ_n β_n k``;
* the seller chooses ``β`` to maximise ``γ_n β (1 − β) + δ c_{n−1} β²``, so
  ``β_n = γ_n / (2 (γ_n − δ c_{n−1}))``, ``a_n = γ_n β_n`` and
  ``c_n = γ_n β_n (1 − β_n) + δ c_{n−1} β_n²``.

A buyer facing price ``p`` with ``n`` periods left buys iff ``v ≥ p / γ_n`` (the cutoff
the price implies), so the path is ``p_t = a_{T−t+1} k_t`` with ``k_1 = vmax`` and
``k_{t+1} = p_t / γ_{T−t+1}``. Every coefficient is a rational function of ``δ``; their
exact fractions' denominators double in length each period, so they are computed in
IEEE-754 doubles with ``+ − × /`` alone (correctly rounded, hence the same on every
installation; no library function).

**Periods shortening.** Over a fixed horizon whose discount factor is ``D``, ``T``
periods discount by ``δ = D^(1/T)`` each (:func:`per_period`).

**The Coase conjecture** (Coase, "Durability and monopoly", J. Law Econ. 1972; proved by
Gul, Sonnenschein & Wilson, "Foundations of dynamic monopoly and the Coase conjecture",
JET 1986): as periods shorten (``δ → 1``) the first price falls to the lowest value.
In the infinite-horizon linear equilibrium the remaining share per period is the root
``x = (1 − √(1 − δ)) / δ`` of ``δ x² − 2x + 1 = 0`` (the fixed point of the recursion
above), and the first price is ``(1 − δ) x / (1 − δ x) · vmax``, which tends to 0 as
``δ → 1`` (:func:`stationary`).

**On the device** prices are base units: :func:`uncommitted_path` floors each price to
an int (towards the buyers, by less than one base unit), and the next cutoff is the one
the posted, floored price implies, ``p_t / γ``, so the sandbox (which posts and buys with
exactly these rules) reproduces the path to the base unit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Coefficients",
    "Outcome",
    "PricePath",
    "Stationary",
    "best_period",
    "buyer_values",
    "check_discount",
    "coefficients",
    "committed_path",
    "monopoly_price",
    "per_period",
    "powers",
    "realise",
    "stationary",
    "uncommitted_path",
]


def check_discount(delta: object) -> float:
    """``δ`` as a float in ``(0, 1)``; ``ValueError`` naming it otherwise."""
    if type(delta) not in (float, int) or not 0 < delta < 1:  # type: ignore[operator]
        raise ValueError(f"discount must be a number in (0, 1), got {delta!r}")
    return float(delta)  # type: ignore[arg-type]


def powers(delta: float, count: int) -> list[float]:
    """``[1, δ, δ², …]`` (``count`` terms) by repeated multiplication, not ``pow``, so
    that every installation gets the same doubles."""
    out, w = [], 1.0
    for _ in range(count):
        out.append(w)
        w *= delta
    return out


def per_period(horizon_discount: float, periods: int) -> float:
    """``D^(1/T)``: the per-period discount when ``T`` periods share a horizon
    discounted by ``D`` (shorter periods: ``δ → 1``)."""
    check_discount(horizon_discount)
    if type(periods) is not int or periods < 1:
        raise ValueError(f"periods must be a positive int, got {periods!r}")
    return float(horizon_discount ** (1.0 / periods))


@dataclass(frozen=True)
class Coefficients:
    """The linear equilibrium's coefficients with ``n`` periods left (index ``n − 1``):
    price ``a[n−1] k``, cutoff ``beta[n−1] k``, seller value ``c[n−1] k²``, and
    ``gamma[n−1]``, the price per unit of implied cutoff."""

    a: tuple[float, ...]
    beta: tuple[float, ...]
    c: tuple[float, ...]
    gamma: tuple[float, ...]


def coefficients(periods: int, delta: float) -> Coefficients:
    """Backward induction (module docstring) for ``1..periods`` periods left."""
    if type(periods) is not int or periods < 1:
        raise ValueError(f"periods must be a positive int, got {periods!r}")
    check_discount(delta)
    a, beta, c, gamma = [0.5], [0.5], [0.25], [1.0]
    for _ in range(1, periods):
        g = 1 - delta * (1 - a[-1])
        b = g / (2 * (g - delta * c[-1]))
        a.append(g * b)
        c.append(g * b * (1 - b) + delta * c[-1] * b * b)
        beta.append(b)
        gamma.append(g)
    return Coefficients(tuple(a), tuple(beta), tuple(c), tuple(gamma))


@dataclass(frozen=True)
class PricePath:
    """A price per period (base units) and, for the uncommitted equilibrium, the cutoff
    each price implies (buyers with values at or above it buy, if they have not)."""

    prices: tuple[int, ...]
    cutoffs: tuple[float, ...]


def uncommitted_path(periods: int, delta: float, vmax: int) -> PricePath:
    """The subgame-perfect path without commitment, prices floored to base units."""
    if type(vmax) is not int or vmax < 1:
        raise ValueError(f"vmax must be a positive int, got {vmax!r}")
    co = coefficients(periods, delta)
    k = float(vmax)
    prices: list[int] = []
    cutoffs: list[float] = []
    for t in range(periods):
        left = periods - t - 1  # index of "n periods left"
        price = math.floor(co.a[left] * k)
        k = price / co.gamma[left]
        prices.append(price)
        cutoffs.append(k)
    return PricePath(tuple(prices), tuple(cutoffs))


def monopoly_price(values: Sequence[int]) -> int:
    """The static monopoly price for these buyers: the value ``p`` maximising
    ``p · #{v ≥ p}`` (the lowest such ``p`` on ties)."""
    if not values:
        raise ValueError("monopoly_price needs at least one buyer value")
    ordered = sorted(values, reverse=True)
    best, price = -1, 0
    for count, v in enumerate(ordered, start=1):
        if v * count > best or (v * count == best and v < price):
            best, price = v * count, v
    return price


def committed_path(periods: int, price: int) -> PricePath:
    """The committed path: ``price`` in every period (Stokey 1979's optimum when
    ``price`` is the static monopoly price)."""
    if type(price) is not int or price < 1:
        raise ValueError(f"price must be a positive int, got {price!r}")
    return PricePath((price,) * periods, ())


def buyer_values(buyers: int, vmax: int) -> tuple[int, ...]:
    """``buyers`` values spread evenly over ``[0, vmax]``: the midpoints
    ``⌊vmax (2i + 1) / (2 N)⌋``, the finite stand-in for the uniform distribution."""
    if type(buyers) is not int or buyers < 1:
        raise ValueError(f"buyers must be a positive int, got {buyers!r}")
    return tuple(vmax * (2 * i + 1) // (2 * buyers) for i in range(buyers))


def best_period(value: int, prices: Sequence[int], delta: float) -> int | None:
    """Against a committed path: the period index (0-based) maximising
    ``δ^t (v − p_t)`` with a non-negative surplus, the earliest on ties; ``None`` if
    no period leaves a non-negative surplus."""
    best: tuple[float, int] | None = None
    for t, (p, weight) in enumerate(zip(prices, powers(delta, len(prices)), strict=True)):
        surplus = weight * (value - p)
        if surplus >= 0 and (best is None or surplus > best[0]):
            best = (surplus, t)
    return None if best is None else best[1]


@dataclass(frozen=True)
class Outcome:
    """Sales per period (buyer indices), revenue undiscounted and at period-1 value."""

    sales: tuple[tuple[int, ...], ...]
    revenue: int
    present_value: float


def realise(values: Sequence[int], path: PricePath, delta: float, *, committed: bool) -> Outcome:
    """Who buys when: uncommitted buyers buy at the first price whose implied cutoff
    they reach (``v ≥ cutoff``); committed buyers buy in their :func:`best_period`."""
    sales: list[list[int]] = [[] for _ in path.prices]
    for i, v in enumerate(values):
        if committed:
            t = best_period(v, path.prices, delta)
        else:
            t = next((t for t, k in enumerate(path.cutoffs) if v >= k), None)
        if t is not None:
            sales[t].append(i)
    revenue = sum(p * len(s) for p, s in zip(path.prices, sales, strict=True))
    weights = powers(delta, len(path.prices))
    pv = sum((w * p * len(s) for w, p, s in zip(weights, path.prices, sales, strict=True)), 0.0)
    return Outcome(tuple(tuple(s) for s in sales), revenue, pv)


@dataclass(frozen=True)
class Stationary:
    """The infinite-horizon linear equilibrium (GSW 1986) for ``vmax = 1``: the share of
    the remaining cutoff kept per period, the first price and the seller's revenue."""

    keep: float
    first_price: float
    revenue: float


def stationary(delta: float) -> Stationary:
    """``x = (1 − √(1 − δ)) / δ``, first price ``(1 − δ) x / (1 − δ x)``, revenue
    ``c = γ x (1 − x) / (1 − δ x²)`` with ``γ = (1 − δ) / (1 − δ x)`` (module docstring)."""
    if not 0 < delta < 1:
        raise ValueError(f"delta must be in (0, 1), got {delta!r}")
    x = (1 - math.sqrt(1 - delta)) / delta
    gamma = (1 - delta) / (1 - delta * x)
    return Stationary(x, gamma * x, gamma * x * (1 - x) / (1 - delta * x * x))
