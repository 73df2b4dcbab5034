"""The GovSim common-pool fishery: its dynamics, threshold and welfare optimum, in integers.

GovSim (Piatti, Jin, Kleiman-Weiner, Schölkopf, Sachan & Mihalcea, "Cooperate or
Collapse: Emergence of Sustainable Cooperation in a Society of LLM Agents", NeurIPS
2024; the reference code ``giorgiopiatti/GovSim``,
``simulation/scenarios/common/environment/concurrent_env.py``) runs ``n = 5`` fishers
on a lake of ``C = 100`` tons for 12 months. Each month (a *round*):

1. every fisher asks for a catch; they are served from the stock ``S``;
2. the lake **collapses** (the run ends) if fewer than ``m = 5`` tons remain;
3. what remains **doubles**, up to the capacity: ``S' = min(C, 2 (S - H))``, ``H`` the
   round's total catch;
4. each fisher is shown the **sustainability threshold**
   ``floor(floor(S' / 2) / n)`` for the next round (10 at the start): its equal share
   of the catch that leaves the stock able to regrow to where it was.

Here the growth factor ``g`` (GovSim: 2), the capacity, the collapse bound, the number of
fishers and of rounds are parameters (:class:`Commons`); everything is an ``int``.

**Where this differs from GovSim** (deliberately; ``docs/social-dilemmas.md``):

* *Allocation when the asks exceed the stock.* GovSim serves the asks unit by unit to
  random askers (``assign_resource_strategy: stochastic``) or pro rata
  (``proportional``). Here :func:`serve` serves them in the order given, each
  ``min(ask, what is left)``: on the device that order is the device's ordering rule
  (first come, priority fee, random, or a batch), which is the point of putting the
  lake on a device. :func:`pro_rata` is GovSim's proportional rule, in exact integers
  (largest remainders, ties to the earlier fisher), used under batch ordering.
* *The threshold near collapse.* GovSim's ``S // 2`` total can leave fewer than ``m``
  (a stock of 8: 4 caught, 4 left, collapse); :func:`threshold_total` also keeps ``m``
  so that taking the threshold never collapses the lake. They agree for ``S >= 2m``.

**The welfare optimum** (:func:`optimal_welfare`). Write ``R_t = S_t - H_t`` for what is
left after round ``t``, so ``S_{t+1} = min(C, g R_t)``. The total catch telescopes::

    sum_t H_t = S_1 + sum_{t<T} (min(C, g R_t) - R_t) - R_T

Each middle term is largest at ``R_t = k = max(ceil(C / g), m)`` (it rises with slope
``g - 1 > 0`` until ``g R_t`` reaches ``C`` and falls after), worth ``C - k``, and the
last is smallest at ``R_T = m`` (the lake survives the last round) or 0. So when the
start stock is at least ``k`` (then every ``R_t = k`` is reachable),
``W* = S_1 + (T - 1)(C - k) - m``: for GovSim's numbers ``100 + 11 * 50 - 5 = 645``
(650 if the last round may empty the lake). The path: catch ``S_1 - k``, then ``C - k``
each round, then ``C - m``. For a smaller start :func:`optimal_path` solves the same
problem by dynamic programming over the integer stock (at most ``(C+1)^2 T`` steps).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

__all__ = [
    "GOVSIM",
    "Commons",
    "OptimalPath",
    "RoundOutcome",
    "collapsed",
    "gini",
    "optimal_path",
    "optimal_welfare",
    "play_round",
    "pro_rata",
    "regrow",
    "serve",
    "threshold",
    "threshold_total",
]


@dataclass(frozen=True, slots=True)
class Commons:
    """A fishery's constants (GovSim's by default): fishers, capacity, start stock, growth
    factor, collapse bound and rounds."""

    fishers: int = 5
    capacity: int = 100
    initial: int = 100
    growth: int = 2
    collapse_below: int = 5
    rounds: int = 12

    def __post_init__(self) -> None:
        for name in ("fishers", "capacity", "growth", "rounds"):
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self.growth < 2:
            raise ValueError(
                f"growth must be at least 2 (the stock must regrow), got {self.growth}"
            )
        for name in ("initial", "collapse_below"):
            value = getattr(self, name)
            if type(value) is not int or not 0 <= value <= self.capacity:
                raise ValueError(
                    f"{name} must be an int in [0, capacity={self.capacity}], got {value!r}"
                )

    @property
    def keep(self) -> int:
        """``k = max(ceil(C / g), m)``: the smallest remainder that regrows to the cap."""
        return max(-(-self.capacity // self.growth), self.collapse_below)


GOVSIM = Commons()
"""GovSim's fishery: 5 fishers, 100 tons at the cap of 100, doubling, collapse below 5,
12 rounds."""


def _stock(c: Commons, stock: object) -> int:
    if type(stock) is not int or not 0 <= stock <= c.capacity:
        raise ValueError(f"stock must be an int in [0, {c.capacity}], got {stock!r}")
    return stock


def regrow(c: Commons, remaining: int) -> int:
    """The next round's stock: ``min(C, g * remaining)`` (GovSim: ``double_100_cap``)."""
    return min(c.capacity, c.growth * _stock(c, remaining))


def collapsed(c: Commons, remaining: int) -> bool:
    """Whether the lake collapses with ``remaining`` left after a round's harvest."""
    return _stock(c, remaining) < c.collapse_below


def threshold_total(c: Commons, stock: int) -> int:
    """The largest total catch that leaves the stock able to regrow to ``stock`` and keeps
    at least the collapse bound: ``stock - max(ceil(stock / g), m)``, at least 0."""
    s = _stock(c, stock)
    return max(0, s - max(-(-s // c.growth), c.collapse_below))


def threshold(c: Commons, stock: int) -> int:
    """The sustainability threshold shown to each fisher: its equal share of
    :func:`threshold_total`, rounded down (GovSim: ``(S // 2) // n``)."""
    return threshold_total(c, stock) // c.fishers


def serve(stock: int, asks: Sequence[int]) -> tuple[int, ...]:
    """Catches when ``asks`` are served in the order given, each ``min(ask, left)``."""
    left = stock
    out: list[int] = []
    for ask in asks:
        if type(ask) is not int or ask < 0:
            raise ValueError(f"asks must be non-negative ints, got {ask!r}")
        got = min(ask, left)
        left -= got
        out.append(got)
    return tuple(out)


def pro_rata(stock: int, asks: Sequence[int]) -> tuple[int, ...]:
    """GovSim's proportional rule in exact integers: everyone gets its ask if the stock
    covers them all; else ``stock * ask // total`` each, and the units left over go one
    each to the largest remainders (ties: the earlier ask), never above an ask."""
    for ask in asks:
        if type(ask) is not int or ask < 0:
            raise ValueError(f"asks must be non-negative ints, got {ask!r}")
    total = sum(asks)
    if total <= stock:
        return tuple(asks)
    base = [stock * a // total for a in asks]
    rest = stock - sum(base)
    order = sorted(range(len(asks)), key=lambda i: (-(stock * asks[i] % total), i))
    for i in order[:rest]:
        base[i] += 1
    return tuple(base)


@dataclass(frozen=True, slots=True)
class RoundOutcome:
    """One round: the catches served, what remained, whether the lake collapsed, and the
    next round's stock (0 after a collapse)."""

    catches: tuple[int, ...]
    remaining: int
    collapsed: bool
    next_stock: int


def play_round(c: Commons, stock: int, asks: Sequence[int], *, batch: bool = False) -> RoundOutcome:
    """Serve ``asks`` from ``stock`` (in order, or :func:`pro_rata` with ``batch``), check
    collapse, regrow."""
    s = _stock(c, stock)
    catches = pro_rata(s, asks) if batch else serve(s, asks)
    remaining = s - sum(catches)
    down = collapsed(c, remaining)
    return RoundOutcome(catches, remaining, down, 0 if down else regrow(c, remaining))


@dataclass(frozen=True, slots=True)
class OptimalPath:
    """The welfare-maximising total catch per round, the stock each round starts with,
    and the total (the optimum welfare metrics compare against)."""

    harvests: tuple[int, ...]
    stocks: tuple[int, ...]
    welfare: int


def optimal_welfare(c: Commons, *, sustain: bool = True) -> int:
    """The largest total catch over the rounds (module docstring): the closed form when the
    start stock is at least ``k``, else :func:`optimal_path`'s dynamic programme.
    ``sustain``: the lake must survive the last round too (else it may be emptied)."""
    last = c.collapse_below if sustain else 0
    if c.initial >= c.keep:
        if c.rounds == 1:
            return max(0, c.initial - last)
        return c.initial + (c.rounds - 1) * (c.capacity - c.keep) - last
    return optimal_path(c, sustain=sustain).welfare


def optimal_path(c: Commons, *, sustain: bool = True) -> OptimalPath:
    """The welfare-maximising harvest path, by dynamic programming over the integer stock
    (ties: the smaller harvest, so that the path keeps more fish). A collapse before the
    last round ends the run; ``sustain`` forbids it in the last round too."""
    cap, g, m, rounds = c.capacity, c.growth, c.collapse_below, c.rounds

    @cache
    def value(stock: int, left: int) -> tuple[int, int]:
        """(best total from here, the harvest that achieves it) with ``left`` rounds."""
        best, arg = -1, 0
        for h in range(stock + 1):
            r = stock - h
            if r < m:  # the lake collapses: the run ends with this catch
                if sustain:
                    continue
                total = h
            elif left == 1:
                total = h
            else:
                total = h + value(min(cap, g * r), left - 1)[0]
            if total > best:
                best, arg = total, h
        if best < 0:  # every harvest collapses: the stock is already below m
            return (0, 0) if sustain and left >= 1 else (stock, stock)
        return best, arg

    stocks: list[int] = []
    harvests: list[int] = []
    stock = c.initial
    for left in range(rounds, 0, -1):
        stocks.append(stock)
        h = value(stock, left)[1]
        harvests.append(h)
        r = stock - h
        if r < m:
            break
        stock = min(cap, g * r)
    welfare = value(c.initial, rounds)[0]
    value.cache_clear()
    return OptimalPath(tuple(harvests), tuple(stocks), welfare)


def gini(values: Sequence[int]) -> float:
    """The Gini coefficient of non-negative amounts (0: equal; ``(n-1)/n``: one has all),
    from the mean absolute difference: ``sum_ij |x_i - x_j| / (2 n^2 mean)``; 0 if all
    are 0. Off-device (a metric): a float."""
    n = len(values)
    total = sum(values)
    if n == 0 or total == 0:
        return 0.0
    xs = sorted(values)
    # sum_ij |x_i - x_j| = 2 sum_i (2i - n + 1) x_i over the sorted values (0-based i)
    weighted = sum((2 * i - n + 1) * x for i, x in enumerate(xs))
    return weighted / (n * total)
