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
* **money** (:func:`charge`, :func:`subsidy`): integer base units, as a device contract
  settles. :func:`charge` is the exact ceiling ``⌈C(q + δ) − C(q)⌉`` for integer ``q``,
  ``δ`` and ``b``: a buyer pays the cost rounded **up** and a seller receives the
  proceeds rounded **down** (a negative charge rounded up), so every rounding goes to
  the market maker (``DESIGN.md``: round towards the protocol). Hence the maker, funded
  with ``subsidy(b, n) = ⌈b ln n⌉``, never owes more than it holds, whatever the trades
  (tested by hypothesis in ``tests/mechanisms/test_lmsr.py``).

How the ceiling is guaranteed. ``C`` is evaluated in :mod:`decimal` with a rigorous
error bound (every ``exp``/``ln``/division of :mod:`decimal` is correctly rounded, so the
error of the log-sum-exp is bounded by a few units in the last place, times ``n²``; see
:func:`_cost_interval`). If the interval ``[D − ε, D + ε]`` around the computed
difference ``D`` contains no integer, its ceiling is the exact ceiling; otherwise the
precision is doubled (Ziv's strategy) up to :data:`MAX_PRECISION` digits. The difference
is an integer only when the new state is the old one permuted and shifted by that
integer (Lindemann–Weierstrass: ``exp`` of distinct rationals are linearly independent
over the rationals), a case :func:`charge` recognises exactly before evaluating
anything; so the loop ends unless ``D`` lies within ``10⁻²⁵⁰`` of an integer, when the
upper end is charged (still towards the maker).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import logsumexp, softmax

PRICE_SCALE = 10**9
"""Fixed-point prices on the device: parts per billion (:func:`price_ppb`)."""

START_PRECISION = 40
MAX_PRECISION = 320
"""Decimal digits of :func:`charge`'s first and last attempt."""


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
    log_r = _log_rest(x, i, b)
    log_1r = float(np.logaddexp(0.0, log_r))  # ln(1 + R)
    return budget + b * log_1r + b * math.log1p(-math.exp(log_r - budget / b - log_1r))


# -- money: integers, rounding towards the maker --------------------------------------
def _ints(values: Sequence[int], name: str) -> tuple[int, ...]:
    out = tuple(values)
    if not out:
        raise ValueError(f"{name} must name at least one outcome")
    for k, v in enumerate(out):
        if type(v) is not int:
            raise ValueError(f"{name}[{k}] must be an int in base units, got {v!r}")
    return out


def _int_b(b: int) -> int:
    if type(b) is not int or b <= 0:
        raise ValueError(f"liquidity b must be a positive int in base units, got {b!r}")
    return b


def _cost_interval(q: Sequence[int], b: int, prec: int) -> tuple[Decimal, Decimal]:
    """``C(q)`` in :mod:`decimal` at ``prec`` digits, and a bound on its error.

    Error analysis (``u = 10^{1−prec}``, each operation correctly rounded, so within
    ``u/2`` relative): ``aᵢ = (qᵢ − m)/b ≤ 0`` with ``m = max q``; ``exp(aᵢ)`` is off by
    at most ``e^{aᵢ}(|aᵢ| + 1) u/2 ≤ u`` absolutely; the ``n`` terms and ``n − 1``
    additions of ``S ∈ [1, n]`` add at most ``n² u/2``; ``ln S`` (``S ≥ 1``) adds the
    error of ``S`` plus ``u ln n``; multiplying by ``b`` and adding ``m`` add
    ``u |C|``. The bound returned, ``u (b (n² + 2n + 2) + |C| + 1)``, covers the sum.
    """
    n = len(q)
    with localcontext() as ctx:
        ctx.prec = prec
        m = max(q)
        total = sum(((Decimal(qi - m) / b).exp() for qi in q), Decimal(0))
        c = m + b * total.ln()
        err = Decimal(10) ** (1 - prec) * (b * (n * n + 2 * n + 2) + abs(c) + 1)
    return c, err


def _ceil(x: Decimal) -> int:
    return int(x.to_integral_value(rounding=ROUND_CEILING))


def _floor(x: Decimal) -> int:
    return int(x.to_integral_value(rounding=ROUND_FLOOR))


def _exact_shift(q: Sequence[int], after: Sequence[int]) -> int | None:
    """``k`` when ``after`` is ``q`` permuted and shifted by ``k`` (so ``ΔC = k``)."""
    k = min(after) - min(q)
    return k if sorted(a - k for a in after) == sorted(q) else None


def charge(q: Sequence[int], delta: Sequence[int], b: int) -> int:
    """``⌈C(q + δ) − C(q)⌉`` exactly, in base units: what the trade ``δ`` pays the maker.

    Positive: the trader pays. Negative: the maker pays ``−charge`` (the proceeds of a
    sale, which the ceiling rounds *down*). ``q``, ``δ`` and ``b`` are ints in base units
    (one share of an outcome pays one base unit of collateral).
    """
    b = _int_b(b)
    q = _ints(q, "q")
    d = _ints(delta, "delta")
    if len(q) != len(d):
        raise ValueError(f"delta has {len(d)} outcomes, q has {len(q)}")
    after = tuple(x + y for x, y in zip(q, d, strict=True))
    exact = _exact_shift(q, after)
    if exact is not None:
        return exact
    prec = START_PRECISION
    while True:
        c1, e1 = _cost_interval(after, b, prec)
        c0, e0 = _cost_interval(q, b, prec)
        with localcontext() as ctx:
            ctx.prec = prec + 10
            diff = c1 - c0
            err = e1 + e0 + Decimal(10) ** (1 - prec) * abs(diff)
            lo, hi = _ceil(diff - err), _ceil(diff + err)
        if lo == hi or prec >= MAX_PRECISION:
            return hi
        prec *= 2


def subsidy(b: int, n: int) -> int:
    """``⌈b · ln n⌉``: the base units that fund a maker against its worst-case loss.

    ``b ln n`` is irrational for ``n ≥ 2`` (``e`` is transcendental), so its ceiling is
    pinned down by the same interval refinement as :func:`charge`.
    """
    b = _int_b(b)
    if type(n) is not int or n < 1:
        raise ValueError(f"number of outcomes n must be a positive int, got {n!r}")
    if n == 1:
        return 0
    prec = START_PRECISION
    while True:
        with localcontext() as ctx:
            ctx.prec = prec
            value = b * Decimal(n).ln()
            err = Decimal(10) ** (1 - prec) * value
            lo, hi = _ceil(value - err), _ceil(value + err)
        if lo == hi or prec >= MAX_PRECISION:
            return hi
        prec *= 2


def price_ppb(q: Sequence[int], b: int, i: int) -> int:
    """Outcome ``i``'s price in parts per billion, rounded down, from integer state.

    Computed in :mod:`decimal` (``pᵢ = 1 / Σⱼ exp((qⱼ − qᵢ)/b)``), so the device's
    figure does not depend on the platform's float ``exp``. It feeds the decision rule's
    TWAP (:mod:`accord.contracts.futarchy`), never a balance.
    """
    b = _int_b(b)
    q = _ints(q, "q")
    if not 0 <= i < len(q):
        raise ValueError(f"outcome index {i} is out of range for {len(q)} outcomes")
    with localcontext() as ctx:
        ctx.prec = START_PRECISION
        total = sum(((Decimal(qj - q[i]) / b).exp() for qj in q), Decimal(0))
        return _floor(Decimal(PRICE_SCALE) / total)
