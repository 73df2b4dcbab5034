"""The logarithmic market scoring rule (LMSR): Hanson's automated market maker.

Sources: R. Hanson, "Combinatorial Information Market Design", *Information Systems
Frontiers* 5(1), 2003, and "Logarithmic Market Scoring Rules for Modular Combinatorial
Information Aggregation", *Journal of Prediction Markets* 1(1), 2007; the cost-function
form is Chen & Pennock, "A Utility Framework for Bounded-Loss Market Makers", UAI 2007.

With ``q`` the outstanding shares of each of ``n`` outcomes (a share of outcome ``i``
pays 1 if ``i`` happens) and liquidity ``b > 0``::

    C(q)        = b · ln Σᵢ exp(qᵢ / b)                    (cost function)
    pᵢ(q)       = exp(qᵢ / b) / Σⱼ exp(qⱼ / b)             (prices: softmax(q / b))
    cost(q → q + δ) = C(q + δ) − C(q)                      (what a trade pays)
    worst-case loss of the maker, from q = 0:  b · ln n     (Hanson 2007, §3)

The loss bound: the maker is paid ``C(q) − C(0)`` and owes at most ``maxᵢ qᵢ``; since
``C(q) ≥ maxᵢ qᵢ`` and ``C(0) = b ln n``, it loses at most ``b ln n``, approached when
one outcome is bought out to certainty and happens. LMSR is the market form of the log
scoring rule: moving the prices from ``p`` to ``p'`` pays ``b · ln(p'ₒ / pₒ)`` on the
outcome ``o`` that happens (Hanson 2003, §4).

Two halves:

* **floats** (:func:`cost`, :func:`prices`, :func:`trade_cost`, :func:`shares_to_price`,
  :func:`shares_for_budget`): numpy/scipy, with the stable log-sum-exp
  (``scipy.special.logsumexp``), for analysis, agents and plots;
* **money** (:func:`charge`, :func:`subsidy`, :func:`price_ppb`, :func:`size_buy`):
  integer base units, as a device contract settles, computed with Python ints only
  (:mod:`accord.mechanisms.fixedpoint`: ``exp`` and ``ln`` as fixed-point intervals
  with 128 fractional bits and directed rounding), so every installation gets the same
  bits and no float decides a balance. :func:`charge` is ``⌈hi(C(q + δ)) − lo(C(q))⌉``,
  never below the true cost: a buyer pays at least the cost and a seller receives at
  most its proceeds, so every rounding goes to the market maker (``DESIGN.md``: round
  towards the protocol). Hence the maker, funded with ``subsidy(b, n) = ⌈b ln n⌉``,
  never owes more than it holds, whatever the trades (tested by hypothesis in
  ``tests/mechanisms/test_lmsr.py``).

Precision. ``C``'s interval is at most ``b · 2^{−111}`` base units wide (measured in the
tests), so :func:`charge` is the exact ceiling ``⌈C(q + δ) − C(q)⌉`` unless the true
cost lies within ``b · 2^{−110}`` below an integer, when it is one unit more (towards
the maker). The cost difference is an integer only when the new state is the old one
permuted and shifted (Lindemann–Weierstrass: ``exp`` of distinct rationals are linearly
independent over the rationals), which :func:`charge` recognises exactly, so a whole
number of full sets costs exactly that number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import logsumexp, softmax

from accord.mechanisms import fixedpoint as fx
from accord.mechanisms.fixedpoint import Interval

PRICE_SCALE = 10**9
"""Fixed-point prices on the device: parts per billion (:func:`price_ppb`)."""


# -- floats --------------------------------------------------------------------------
def _check_b(b: float) -> float:
    if not (isinstance(b, (int, float)) and not isinstance(b, bool)) or not b > 0:
        raise ValueError(f"liquidity b must be a positive number, got {b!r}")
    return float(b)


def _vector(q: ArrayLike, name: str = "q") -> NDArray[np.float64]:
    x = np.asarray(q, dtype=np.float64)
    if x.ndim != 1 or x.size < 1:
        raise ValueError(f"{name} must be a non-empty vector of outcome shares, got {q!r}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite, got {q!r}")
    return x


def cost(q: ArrayLike, b: float) -> float:
    """``C(q) = b · ln Σ exp(qᵢ / b)``, by the stable log-sum-exp."""
    return _check_b(b) * float(logsumexp(_vector(q) / b))


def prices(q: ArrayLike, b: float) -> NDArray[np.float64]:
    """``p = softmax(q / b)``: each outcome's instantaneous price; they sum to 1."""
    return np.asarray(softmax(_vector(q) / _check_b(b)), dtype=np.float64)


def trade_cost(q: ArrayLike, delta: ArrayLike, b: float) -> float:
    """``C(q + δ) − C(q)``: what buying ``δ`` (selling, where negative) costs."""
    x, d = _vector(q), _vector(delta, "delta")
    if x.shape != d.shape:
        raise ValueError(f"delta has {d.size} outcomes, q has {x.size}")
    return cost(x + d, b) - cost(x, b)


def worst_case_loss(b: float, n: int) -> float:
    """``b · ln n``: the most an LMSR maker with ``n`` outcomes can lose (Hanson 2007)."""
    if type(n) is not int or n < 1:
        raise ValueError(f"number of outcomes n must be a positive int, got {n!r}")
    return _check_b(b) * math.log(n)


def _log_rest(x: NDArray[np.float64], i: int, b: float) -> float:
    """``ln Σ_{j≠i} exp((qⱼ − qᵢ) / b)``: the log odds *against* outcome ``i``."""
    if not 0 <= i < x.size:
        raise ValueError(f"outcome index {i} is out of range for {x.size} outcomes")
    if x.size < 2:
        raise ValueError("a market needs at least two outcomes")
    rest = np.delete(x, i)
    return float(logsumexp((rest - x[i]) / b))


def shares_to_price(q: ArrayLike, b: float, i: int, target: float) -> float:
    """How many shares of outcome ``i`` alone move its price to ``target``.

    Buying ``x`` of ``i`` leaves the others' shares alone, so with
    ``R = Σ_{j≠i} exp((qⱼ − qᵢ)/b)`` the new price is ``1 / (1 + R e^{−x/b})``; solving
    for ``target = π`` gives ``x = b · (ln(π / (1 − π)) + ln R)``. Negative: sell.
    """
    b = _check_b(b)
    if not 0.0 < target < 1.0:
        raise ValueError(f"target price must be in (0, 1), got {target!r}")
    x = _vector(q)
    return b * (math.log(target) - math.log1p(-target) + _log_rest(x, i, b))


def shares_for_budget(q: ArrayLike, b: float, i: int, budget: float) -> float:
    """How many shares of outcome ``i`` alone a payment of ``budget`` buys.

    The cost of ``x`` shares is ``b · ln((e^{x/b} + R) / (1 + R))``; its inverse is
    ``x = b · ln(e^{B/b} (1 + R) − R) = B + b ln(1 + R) + b ln(1 − R e^{−B/b}/(1 + R))``.
    """
    b = _check_b(b)
    if not budget >= 0:
        raise ValueError(f"budget must be >= 0, got {budget!r}")
    x = _vector(q)
    if budget == 0:
        return 0.0
    log_r = _log_rest(x, i, b)
    log_1r = float(np.logaddexp(0.0, log_r))  # ln(1 + R)
    return budget + b * log_1r + b * math.log1p(-math.exp(log_r - budget / b - log_1r))


# -- money: integers, rounding towards the maker --------------------------------------
MAX_OUTCOMES = 64
"""The most outcomes the integer half evaluates (each costs one ``exp``)."""


def _ints(values: Sequence[int], name: str) -> tuple[int, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ValueError(f"{name} must be a sequence of ints, got {type(values).__name__}")
    out = tuple(values)
    if not out:
        raise ValueError(f"{name} must name at least one outcome")
    if len(out) > MAX_OUTCOMES:
        raise ValueError(f"{name} has {len(out)} outcomes, above {MAX_OUTCOMES}")
    for k, v in enumerate(out):
        if type(v) is not int:
            raise ValueError(f"{name}[{k}] must be an int in base units, got {v!r}")
    return out


def _int_b(b: int) -> int:
    if type(b) is not int or b <= 0:
        raise ValueError(f"liquidity b must be a positive int in base units, got {b!r}")
    return b


def _terms(q: Sequence[int], b: int) -> tuple[int, list[Interval]]:
    """``m = max q`` and each ``exp((qᵢ − m)/b)`` as a fixed-point interval (the max's
    term is exactly ``ONE``)."""
    m = max(q)
    return m, [fx.exp_neg(m - qi, b) for qi in q]


def cost_bounds(q: Sequence[int], b: int) -> Interval:
    """``C(q) = m + b ln Σ exp((qᵢ − m)/b)`` as a fixed-point interval (scale
    :data:`~accord.mechanisms.fixedpoint.ONE`), ``lo ≤ C(q) · ONE ≤ hi``."""
    b = _int_b(b)
    q = _ints(q, "q")
    m, terms = _terms(q, b)
    lo, hi = fx.ln((sum(t[0] for t in terms), sum(t[1] for t in terms)))
    return (m << fx.FRAC_BITS) + b * lo, (m << fx.FRAC_BITS) + b * hi


def _exact_shift(q: Sequence[int], after: Sequence[int]) -> int | None:
    """``k`` when ``after`` is ``q`` permuted and shifted by ``k`` (so ``ΔC = k``)."""
    k = min(after) - min(q)
    return k if sorted(a - k for a in after) == sorted(q) else None


def _after(q: Sequence[int], delta: Sequence[int]) -> tuple[int, ...]:
    if len(q) != len(delta):
        raise ValueError(f"delta has {len(delta)} outcomes, q has {len(q)}")
    return tuple(x + y for x, y in zip(q, delta, strict=True))


def _charge_from(before: Interval, q: Sequence[int], after: Sequence[int], b: int) -> int:
    exact = _exact_shift(q, after)
    if exact is not None:
        return exact
    return fx.cdiv(cost_bounds(after, b)[1] - before[0], fx.ONE)


def charge(q: Sequence[int], delta: Sequence[int], b: int) -> int:
    """What the trade ``δ`` pays the maker, in base units: ``⌈hi(C(q + δ)) − lo(C(q))⌉``,
    which is never below the true cost ``C(q + δ) − C(q)``.

    Positive: the trader pays. Negative: the maker pays ``−charge`` (the proceeds of a
    sale, rounded *down*). ``q``, ``δ`` and ``b`` are ints in base units (one share of an
    outcome pays one base unit of collateral). It equals the exact ceiling
    ``⌈C(q + δ) − C(q)⌉`` unless the true cost lies within the intervals' width
    (``b · 2^{−110}`` base units or less) below an integer, when it is one more; a
    trade that merely permutes and shifts the state by ``k`` costs exactly ``k``.
    """
    b = _int_b(b)
    q = _ints(q, "q")
    after = _after(q, _ints(delta, "delta"))
    return _charge_from(cost_bounds(q, b), q, after, b)


def subsidy(b: int, n: int) -> int:
    """``⌈b · ln n⌉`` (from the upper end of ``ln n``'s interval): the base units that
    fund a maker against its worst-case loss ``b ln n``."""
    b = _int_b(b)
    if type(n) is not int or not 1 <= n <= MAX_OUTCOMES:
        raise ValueError(f"number of outcomes n must be an int in [1, {MAX_OUTCOMES}], got {n!r}")
    return fx.cdiv(b * fx.ln_int(n)[1], fx.ONE)


def price_ppb(q: Sequence[int], b: int, i: int) -> int:
    """Outcome ``i``'s price in parts per billion, rounded down, from integer state:
    ``⌊10⁹ · lo(eᵢ) / hi(Σⱼ eⱼ)⌋`` with ``eⱼ = exp((qⱼ − max q)/b)``, so at most the
    exact floor and below it only when ``10⁹ pᵢ`` lies within the intervals' width
    above an integer. It feeds the decision rule's TWAP
    (:mod:`accord.contracts.futarchy`), never a balance.
    """
    b = _int_b(b)
    q = _ints(q, "q")
    if type(i) is not int or not 0 <= i < len(q):
        raise ValueError(f"outcome index {i!r} is out of range for {len(q)} outcomes")
    _, terms = _terms(q, b)
    return PRICE_SCALE * terms[i][0] // sum(t[1] for t in terms)


def price_at_most(q: Sequence[int], b: int, i: int, limit_ppb: int) -> bool:
    """Whether outcome ``i``'s true price is at most ``limit_ppb / 10⁹`` for certain:
    ``10⁹ · hi(eᵢ) ≤ limit_ppb · lo(Σⱼ eⱼ)``, exactly in integers (so a limit order
    never buys past its limit, by up to the intervals' width short of it)."""
    _, terms = _terms(q, b)
    return PRICE_SCALE * terms[i][1] <= limit_ppb * sum(t[0] for t in terms)


def buy_bound(q: Sequence[int], b: int, i: int, budget: int) -> int:
    """More shares of outcome ``i`` than ``budget`` can buy: ``budget + max(0, maxⱼ qⱼ −
    qᵢ) + ⌈b ln n⌉ + 1``. (The true cost of ``x`` shares is ``C(q + x eᵢ) − C(q) ≥ qᵢ + x
    − C(q)``, and ``C(q) ≤ max q + b ln n``.)"""
    q = _ints(q, "q")
    return budget + max(0, max(q) - q[i]) + subsidy(b, len(q)) + 1


def buy_steps(q: Sequence[int], b: int, i: int, budget: int) -> int:
    """How many cost evaluations :func:`size_buy` makes at most (charge gas for these
    before calling it): one per halving of ``[0, buy_bound]``, plus one."""
    return buy_bound(q, b, i, budget).bit_length() + 1


def size_buy(q: Sequence[int], b: int, i: int, budget: int, limit_ppb: int) -> tuple[int, int]:
    """The most shares ``x`` of outcome ``i`` that ``budget`` pays for while the price
    stays at most ``limit_ppb``: ``(x, charge)``, with ``charge(x) ≤ budget`` and
    ``price_at_most(q + x eᵢ, limit_ppb)`` (``(0, 0)`` if the price is already above).

    Exact integer bisection on ``x`` over ``[0, buy_bound)`` with :func:`charge` and
    :func:`price_at_most` (both monotone in ``x``), at most :func:`buy_steps` evaluations;
    no float anywhere, so every installation sizes the same order. The float inverses
    :func:`shares_for_budget` and :func:`shares_to_price` give the same answer to within
    a share, for planning off the device.
    """
    b = _int_b(b)
    q = _ints(q, "q")
    if type(i) is not int or not 0 <= i < len(q):
        raise ValueError(f"outcome index {i!r} is out of range for {len(q)} outcomes")
    if type(budget) is not int or budget < 0:
        raise ValueError(f"budget must be a non-negative int, got {budget!r}")
    if type(limit_ppb) is not int or not 0 <= limit_ppb <= PRICE_SCALE:
        raise ValueError(f"limit_ppb must be an int in [0, {PRICE_SCALE}], got {limit_ppb!r}")
    before = cost_bounds(q, b)

    def fits(x: int) -> int | None:
        after = (*q[:i], q[i] + x, *q[i + 1 :])
        cost = _charge_from(before, q, after, b)
        if cost > budget or not price_at_most(after, b, i, limit_ppb):
            return None
        return cost

    if fits(0) is None:
        return (0, 0)
    lo, lo_cost, hi = 0, 0, buy_bound(q, b, i, budget)  # fits(lo); not fits(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        cost = fits(mid)
        if cost is None:
            hi = mid
        else:
            lo, lo_cost = mid, cost
    return (lo, lo_cost)
