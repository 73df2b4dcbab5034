"""Mediation rules: what a neutral mediator decides from sealed reports, in exact arithmetic.

A :class:`~accord.contracts.mediator.Mediator` publishes one rule at deployment and,
once every party has revealed its report, settles :func:`MediationRule.settle`'s
transfers through escrow. Everything here is exact: reports, prices and transfers are
ints in base units, intermediate values are :class:`fractions.Fraction`, and every
rounding goes **towards the protocol** (a payment is rounded up, a receipt down; the
unit of dust goes to the mediator's sink). Floats never decide anything here; the float
versions of the same mechanisms (``bilateral*.py``, ``solutions.py``) are for expected
outcomes off the device and are cross-tested against these.

**Bilateral trade** (two parties: a buyer with value ``v`` and a seller with cost ``c``;
the reports are integers in published ranges ``[vl, vh]`` and ``[cl, ch]``; a trade moves
``lot`` units of the good from the seller to the buyer):

* ``k_double_auction`` (Chatterjee & Samuelson 1983): trade iff ``v >= c`` at
  ``p = c + k (v - c)``, ``k`` in ``[0, 1]`` a fraction.
* ``posted_price``: trade iff ``v >= p >= c`` at the published price ``p``
  (Hagerty & Rogerson 1987: the dominant-strategy, budget-balanced mechanisms are posted
  prices).
* ``first_best``: trade iff ``v >= c`` (the efficient allocation) at the midpoint
  ``(v + c) / 2``: the benchmark; it is the ½-double auction under truthful reports and
  is **not** incentive compatible (Myerson & Satterthwaite 1983, Theorem 1: no mechanism
  is efficient, IC, IR and budget balanced at once).
* ``second_best``: Myerson & Satterthwaite (1983, section 4)'s optimal mechanism for
  values and costs uniform on the same ``[a, b]``, as the direct revelation of
  Chatterjee & Samuelson's linear equilibrium of the ½-double auction (which attains
  it): with ``L = b - a``, trade iff ``v - c >= L / 4`` at
  ``p = (v + c) / 3 + a / 3 + L / 6`` (on ``[0, 1]``: ``v - c >= 1/4``,
  ``p = (v + c) / 3 + 1/6``). Bayesian IC, ex-post IR and budget balanced. Supports
  that differ are refused: there the optimal trade gap solves a cubic with no rational
  root in general, and this module does not round an optimum it cannot state exactly.
* ``vcg`` (Vickrey 1961, Clarke 1971, Groves 1973), with the worst types held to zero
  utility (Krishna 2010, *Auction Theory*, §5.3): trade iff ``v >= c``; the buyer pays
  ``max(c, vl)``, the seller receives ``min(v, ch)``: dominant-strategy IC and ex-post IR,
  with a **deficit** ``min(v, ch) - max(c, vl) >= 0`` on every trade when the ranges
  overlap (Myerson & Satterthwaite's theorem says some mechanism must break budget
  balance); if every value is above every cost (``vl > ch``) it is a surplus instead,
  ``vl - ch`` per trade, paid to the sink. The deployer funds a deficit: the mediator refuses a
  VCG rule whose worst deficit ``min(vh, ch) - max(vl, cl)`` is not locked by the
  deployer at deployment.
* ``agv`` (d'Aspremont & Gérard-Varet 1979; Arrow 1979), expected externality for
  uniform priors on the report ranges: trade iff ``v >= c``; each party receives the
  expected externality of its report on the other, minus the other's. With
  ``ξ_S(c) = E[v' 1{v' >= c}]`` and ``ξ_B(v) = -E[c' 1{c' <= v}]`` both transfers come to
  one number ``X = ξ_S(c) - ξ_B(v)``: **the buyer pays X and the seller receives X,
  trade or not** (budget balanced exactly, Bayesian IC, not IR: a buyer who does not
  trade still pays). Uniform on ``[lo, hi]``: ``E[x 1{x >= m}] = (hi² - m²) / (2 (hi - lo))``
  for ``m`` clamped to ``[lo, hi]``.

**Bargaining solutions over a published finite set of outcomes** (two or more parties):
an outcome is a table of net transfers, ``outcome[party][asset]``, summing to zero over
the parties for each asset; not agreeing moves nothing. Each party reports
``(d, u_0, …, u_{m-1})``: its utility of disagreement and of each outcome, integers in
``[0, max_utility]``. Among the outcomes every party weakly prefers to disagreement
(individually rational ones; none: disagreement) the rule picks

* ``nash`` (Nash 1950): the largest product of gains ``Π (u_i - d_i)``;
* ``kalai_smorodinsky`` (Kalai & Smorodinsky 1975): the largest smallest normalised gain
  ``min_i (u_i - d_i) / (a_i - d_i)``, ``a_i`` the best individually rational utility
  of party ``i`` (a party with ``a_i = d_i`` is left out);
* ``utilitarian``: the largest sum of utilities;
* ``egalitarian`` (Kalai 1977): the largest smallest gain;

with the tie-breaks of :mod:`accord.mechanisms.bargaining.solutions`, whose exact
two-player ``solve`` decides for two parties (:func:`choose`; :func:`choose_among`
extends the same objectives to more). The reports are what the parties
say: none of these is incentive compatible (a party gains by overstating its
disagreement utility), which ``docs/negotiation.md`` ("Mediator") discusses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import ceil, floor, prod
from typing import Any, ClassVar

from accord.mechanisms.bargaining.solutions import solve

MAX_AMOUNT = 2**96
"""The largest report, price or transfer a rule accepts (bounds the arithmetic's cost)."""
MAX_PARTIES = 8
MAX_OUTCOMES = 64
MAX_ASSETS = 4

BILATERAL = (
    "k_double_auction",
    "posted_price",
    "first_best",
    "second_best",
    "vcg",
    "agv",
)
SOLUTIONS = ("nash", "kalai_smorodinsky", "utilitarian", "egalitarian")

Table = tuple[tuple[int, ...], ...]
"""``table[party][asset]``: net transfers (positive: the party receives)."""


def _int(value: object, name: str, lo: int = 0, hi: int = MAX_AMOUNT) -> int:
    if type(value) is not int:
        raise ValueError(f"{name} must be an int, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {value}")
    return value


def _range(value: object, name: str) -> tuple[int, int]:
    if type(value) is not tuple or len(value) != 2:
        raise ValueError(f"{name} must be a (low, high) tuple of ints, got {value!r}")
    lo, hi = _int(value[0], f"{name} low"), _int(value[1], f"{name} high")
    if lo >= hi:
        raise ValueError(f"{name} must have low < high, got {value!r}")
    return lo, hi


def round_down(x: Fraction) -> int:
    """``⌊x⌋``: what a party receives (towards the protocol)."""
    return floor(x)


@dataclass(frozen=True, slots=True)
class Trade:
    """A bilateral decision before rounding: whether the good moves, and the money."""

    trade: bool
    buyer_pays: Fraction
    seller_gets: Fraction


@dataclass(frozen=True, slots=True)
class Settlement:
    """What a rule decides, rounded: ``transfers[party][asset]`` and a label for the
    outcome (``"trade"``/``"no trade"`` or the outcome's index, ``-1`` for disagreement).

    For every asset, ``sum`` over the parties is ``<= 0`` except for the money (asset
    0), where a positive sum is a deficit the deployer's subsidy pays; a negative sum is
    rounding dust (or VCG's surplus when ``vl > ch``), paid to the sink."""

    transfers: Table
    outcome: str | int


class MediationRule:
    """A rule published at deployment: checks reports and settles them exactly."""

    family: ClassVar[str]
    name: str
    parties: int
    assets: int

    def check_report(self, party: int, report: object) -> None:
        """``ValueError`` naming what is wrong with ``party``'s report."""
        raise NotImplementedError

    def settle(self, reports: Sequence[Any]) -> Settlement:
        """The rounded transfers for the revealed ``reports`` (one per party, checked)."""
        raise NotImplementedError

    def exposure(self) -> Table:
        """``[party][asset]``: the most each party can be made to pay, over all reports
        (its collateral before the non-reveal penalty)."""
        raise NotImplementedError

    def max_deficit(self) -> int:
        """The largest money deficit a settlement can run (the subsidy it needs)."""
        return 0

    def work(self) -> int:
        """A size for gas: cells the rule reads to settle."""
        return 1


# -- bilateral trade ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BilateralRule(MediationRule):
    """A buyer (party 0) and a seller (party 1); assets: money (0) and the good (1)."""

    family: ClassVar[str] = "bilateral"
    name: str
    buyer: tuple[int, int]
    seller: tuple[int, int]
    lot: int
    k: Fraction = Fraction(1, 2)
    price: int = 0
    parties: int = 2
    assets: int = 2

    def check_report(self, party: int, report: object) -> None:
        lo, hi = self.buyer if party == 0 else self.seller
        who = "the buyer's value" if party == 0 else "the seller's cost"
        _int(report, f"{who} report", lo, hi)

    def decide(self, v: int, c: int) -> Trade:
        """The unrounded decision for value ``v`` and cost ``c`` (formulas: module doc)."""
        q = Fraction
        nothing = Trade(False, q(0), q(0))
        if self.name == "posted_price":
            p = q(self.price)
            return Trade(True, p, p) if v >= self.price >= c else nothing
        if self.name == "agv":
            x = _upper_mean(self.buyer, c) + _lower_mean(self.seller, v)
            return Trade(v >= c, x, x)
        if self.name == "second_best":
            a, b = self.buyer
            if 4 * (v - c) < b - a:
                return nothing
            p = q(v + c, 3) + q(a, 3) + q(b - a, 6)
            return Trade(True, p, p)
        if v < c:
            return nothing
        if self.name == "vcg":
            return Trade(True, q(max(c, self.buyer[0])), q(min(v, self.seller[1])))
        p = c + self.k * (v - c)  # k_double_auction; first_best has k = 1/2
        return Trade(True, p, p)

    def settle(self, reports: Sequence[Any]) -> Settlement:
        v, c = reports
        t = self.decide(v, c)
        pay, get = ceil(t.buyer_pays), floor(t.seller_gets)
        good = self.lot if t.trade else 0
        return Settlement(((-pay, good), (get, -good)), "trade" if t.trade else "no trade")

    def exposure(self) -> Table:
        """Tight: every price here grows with both reports, and trade needs ``v - c`` above
        a gap, so the buyer pays most at ``v = vh`` and the largest cost that still
        trades with it; AGV's ``X`` is largest at ``v = vh``, ``c = cl``."""
        vh, (cl, ch) = self.buyer[1], self.seller
        if self.name == "agv":
            most = ceil(self.decide(vh, cl).buyer_pays)
        else:
            top = min(ch, vh)
            if self.name == "posted_price":
                top = min(ch, self.price) if vh >= self.price else cl - 1
            elif self.name == "second_best":
                top = min(ch, vh - ceil(Fraction(self.buyer[1] - self.buyer[0], 4)))
            most = ceil(self.decide(vh, top).buyer_pays) if top >= cl else 0
        return ((most, 0), (0, self.lot))

    def max_deficit(self) -> int:
        if self.name != "vcg":
            return 0
        return max(0, min(self.buyer[1], self.seller[1]) - max(self.buyer[0], self.seller[0]))


def _upper_mean(support: tuple[int, int], m: int) -> Fraction:
    """``E[x 1{x >= m}]`` for ``x`` uniform on ``support``: ``(hi² - m²) / (2 (hi - lo))``."""
    lo, hi = support
    m = min(max(m, lo), hi)
    return Fraction(hi * hi - m * m, 2 * (hi - lo))


def _lower_mean(support: tuple[int, int], m: int) -> Fraction:
    """``E[x 1{x <= m}]`` for ``x`` uniform on ``support``: ``(m² - lo²) / (2 (hi - lo))``."""
    lo, hi = support
    m = min(max(m, lo), hi)
    return Fraction(m * m - lo * lo, 2 * (hi - lo))


# -- bargaining solutions over a finite set ------------------------------------------------
def individually_rational(points: Sequence[Sequence[int]], d: Sequence[int]) -> list[int]:
    """Indices of the points every party weakly prefers to its disagreement utility."""
    return [j for j, u in enumerate(points) if all(ui >= di for ui, di in zip(u, d, strict=True))]


def choose(solution: str, points: Sequence[Sequence[int]], d: Sequence[int]) -> int | None:
    """The index of ``solution``'s point among ``points`` (utility vectors, one entry per
    party) for disagreement point ``d``; ``None`` when no point is individually rational.

    Two parties: :func:`accord.mechanisms.bargaining.solutions.solve` itself (exact, with
    its tie-breaks). More: :func:`choose_among`, the same objectives and tie-breaks for
    ``n`` parties."""
    if solution not in SOLUTIONS:
        raise ValueError(f"solution must be one of {', '.join(SOLUTIONS)}, got {solution!r}")
    if not individually_rational(points, d):
        return None
    if len(d) == 2:
        pairs = [(u[0], u[1]) for u in points]
        return solve(solution, pairs, (d[0], d[1])).index  # type: ignore[arg-type]
    return choose_among(solution, points, d)


def choose_among(solution: str, points: Sequence[Sequence[int]], d: Sequence[int]) -> int | None:
    """:func:`~accord.mechanisms.bargaining.solutions.solve`'s objectives for any number
    of parties, exactly: with gains ``g_i = u_i - d_i`` over the individually rational
    points, maximise ``(Π g_i, Σ u_i)`` (Nash), ``(Σ u_i, min g_i)`` (utilitarian),
    ``(min g_i, Σ u_i)`` (egalitarian) or ``(min_i g_i / (a_i - d_i), Σ u_i)`` over the
    parties with ``a_i > d_i`` (Kalai-Smorodinsky, ``a`` the ideal point), then the
    lowest index. For two parties it agrees with ``solve`` (tested)."""
    feasible = individually_rational(points, d)
    if not feasible:
        return None
    gains = {j: [ui - di for ui, di in zip(points[j], d, strict=True)] for j in feasible}
    span = [max(gains[j][i] for j in feasible) for i in range(len(d))]

    def key(j: int) -> tuple[Any, ...]:
        g, total = gains[j], sum(points[j])
        if solution == "nash":
            return (prod(g), total, -j)
        if solution == "utilitarian":
            return (total, min(g), -j)
        if solution == "egalitarian":
            return (min(g), total, -j)
        shares = [Fraction(gi, top) for gi, top in zip(g, span, strict=True) if top > 0]
        return (min(shares) if shares else Fraction(0), total, -j)

    return max(feasible, key=key)


@dataclass(frozen=True, slots=True)
class FiniteBargaining(MediationRule):
    """A bargaining solution over ``outcomes`` (``outcome[party][asset]`` transfers)."""

    family: ClassVar[str] = "bargaining"
    name: str
    outcomes: tuple[Table, ...]
    max_utility: int
    parties: int
    assets: int

    def check_report(self, party: int, report: object) -> None:
        m = len(self.outcomes)
        if type(report) is not tuple or len(report) != m + 1:
            raise ValueError(
                f"party {party}'s report must be a tuple of {m + 1} ints "
                f"(disagreement utility, then one per outcome), got {_short(report)}"
            )
        for j, u in enumerate(report):
            _int(u, f"party {party}'s report[{j}]", 0, self.max_utility)

    def settle(self, reports: Sequence[Any]) -> Settlement:
        d = [r[0] for r in reports]
        points = [[r[j + 1] for r in reports] for j in range(len(self.outcomes))]
        j = choose(self.name, points, d)
        if j is None:
            return Settlement(tuple((0,) * self.assets for _ in range(self.parties)), -1)
        return Settlement(self.outcomes[j], j)

    def exposure(self) -> Table:
        return tuple(
            tuple(max([0, *(-o[i][a] for o in self.outcomes)]) for a in range(self.assets))
            for i in range(self.parties)
        )

    def work(self) -> int:
        return len(self.outcomes) * self.parties


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:60] + f"...<{len(text)} chars>"


def _outcomes(value: object, parties: int) -> tuple[tuple[Table, ...], int]:
    if type(value) is not tuple or not 1 <= len(value) <= MAX_OUTCOMES:
        raise ValueError(
            f"outcomes must be a tuple of 1 to {MAX_OUTCOMES} tables, got {_short(value)}"
        )
    assets = -1
    for j, table in enumerate(value):
        if type(table) is not tuple or len(table) != parties:
            raise ValueError(f"outcome {j} must be a tuple of one row per party ({parties})")
        for i, row in enumerate(table):
            if type(row) is not tuple or not 1 <= len(row) <= MAX_ASSETS:
                raise ValueError(f"outcome {j} row {i} must be a tuple of 1 to {MAX_ASSETS} ints")
            if assets < 0:
                assets = len(row)
            if len(row) != assets:
                raise ValueError(f"outcome {j} row {i} has {len(row)} assets, not {assets}")
            for a, t in enumerate(row):
                _int(t, f"outcome {j} row {i} asset {a}", -MAX_AMOUNT, MAX_AMOUNT)
        for a in range(assets):
            if sum(row[a] for row in table) != 0:
                raise ValueError(f"outcome {j}'s transfers of asset {a} must sum to zero")
    return value, assets


def parse_rule(spec: object, parties: int) -> MediationRule:
    """The rule a canonical ``spec`` names, for ``parties`` parties; ``ValueError`` naming
    the fault. Specs (all ints; ranges are ``(low, high)``):

    * ``(name, (vl, vh), (cl, ch), lot)`` for ``first_best``, ``second_best``, ``vcg``,
      ``agv``; ``("k_double_auction", (vl, vh), (cl, ch), lot, (num, den))``;
      ``("posted_price", (vl, vh), (cl, ch), lot, price)``;
    * ``(solution, outcomes, max_utility)`` for ``nash``, ``kalai_smorodinsky``,
      ``utilitarian``, ``egalitarian``.
    """
    if type(spec) is not tuple or not spec or type(spec[0]) is not str:
        raise ValueError(f"rule must be a tuple (name, ...), got {_short(spec)}")
    name = spec[0]
    if type(parties) is not int or not 2 <= parties <= MAX_PARTIES:
        raise ValueError(f"a mediation needs 2 to {MAX_PARTIES} parties, got {parties!r}")
    if name in SOLUTIONS:
        if len(spec) != 3:
            raise ValueError(f"rule {name} takes (name, outcomes, max_utility)")
        outcomes, assets = _outcomes(spec[1], parties)
        top = _int(spec[2], "max_utility", 1)
        return FiniteBargaining(name, outcomes, top, parties, assets)
    if name not in BILATERAL:
        raise ValueError(f"unknown rule {name!r}; rules: {', '.join(BILATERAL + SOLUTIONS)}")
    if parties != 2:
        raise ValueError(
            f"rule {name} is bilateral trade: 2 parties (buyer, seller), got {parties}"
        )
    extra = {"k_double_auction": 1, "posted_price": 1}.get(name, 0)
    if len(spec) != 4 + extra:
        raise ValueError(f"rule {name} takes {4 + extra} fields, got {len(spec)}")
    buyer, seller = _range(spec[1], "buyer range"), _range(spec[2], "seller range")
    lot = _int(spec[3], "lot", 1)
    if name == "k_double_auction":
        k = spec[4]
        if type(k) is not tuple or len(k) != 2:
            raise ValueError(f"k must be a (numerator, denominator) tuple, got {_short(k)}")
        num, den = _int(k[0], "k numerator"), _int(k[1], "k denominator", 1)
        if num > den:
            raise ValueError(f"k must be in [0, 1], got {num}/{den}")
        return BilateralRule(name, buyer, seller, lot, k=Fraction(num, den))
    if name == "posted_price":
        return BilateralRule(name, buyer, seller, lot, price=_int(spec[4], "price"))
    if name == "second_best" and buyer != seller:
        raise ValueError(
            "second_best is exact for values and costs uniform on the same range; "
            f"got buyer {buyer} and seller {seller}"
        )
    return BilateralRule(name, buyer, seller, lot)
