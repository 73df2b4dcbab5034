"""Proper scoring rules, the Kelly bettor, and emissions by score.

**Scoring rules** (rewards: higher is better). A forecast ``p`` over ``n`` outcomes is
scored once outcome ``o`` happens:

* log score ``S(p, o) = ln pₒ`` (Good, "Rational Decisions", *JRSS B* 14, 1952);
* quadratic score ``S(p, o) = 2 pₒ − Σᵢ pᵢ²``, which is ``1 −`` the Brier loss
  ``Σᵢ (pᵢ − 1[i = o])²`` (Brier, *Monthly Weather Review* 78, 1950).

Both are *strictly proper* (Gneiting & Raftery, "Strictly Proper Scoring Rules,
Prediction, and Estimation", *JASA* 102, 2007): a forecaster who believes ``q`` maximises
its expected score only by reporting ``p = q``. In closed form,
``E_q[ln pₒ] = Σ qᵢ ln qᵢ − KL(q ‖ p)`` and
``E_q[quadratic(p)] = Σ qᵢ² − ‖p − q‖²``: the loss from misreporting is the KL
divergence, or the squared distance (:func:`expected_score`).

**Kelly** (Kelly, "A New Interpretation of Information Rate", *Bell System Technical
Journal* 35, 1956). In a complete market where a share of outcome ``i`` costs ``pᵢ``
(``Σ p = 1``), a full-Kelly bettor with belief ``q`` spends ``qᵢ W`` on outcome ``i``; when
``o`` happens its wealth becomes ``W · qₒ / pₒ`` (:func:`kelly_wealth`). Its expected log
growth under its own belief is ``KL(q ‖ p)``. In a binary market this is betting the
fraction ``f* = (q − p) / (1 − p)`` of wealth on YES (when ``q > p``), the classic
``f* = (b·q − (1 − q)) / b`` with net odds ``b = (1 − p)/p`` (:func:`kelly_fraction`).

**Emissions by score** (:func:`emission_weights`). An epoch's budget goes to forecasters
in proportion to a weight of their score:

* ``"improvement"``: ``wᵢ = max(0, sᵢ − s₀)``, the score above a reference forecast
  (a chance forecast, or last epoch's market). This is Metaculus' *baseline score*
  (score relative to a chance forecast; Metaculus, "Scores FAQ", 2023) with the
  negative part cut off, so a forecaster who adds no information earns nothing and
  copying the reference earns nothing;
* ``"softmax"``: ``wᵢ ∝ exp(η sᵢ)``, the exponential weights of Hedge / multiplicative
  weights (Freund & Schapire, *JCSS* 55, 1997; Vovk's aggregating algorithm), which pay
  everyone something and concentrate on the best as ``η`` grows.

Integers: :func:`brier_improvement_ppm` scores forecasts given in parts per million
exactly (``(½ − y)² − (f − y)²`` in ppm², an int), which is what the emissions
contract uses, and the budget is split by :func:`accord.mechanisms.streams.largest_remainder`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import rel_entr, softmax

PPM = 1_000_000
"""Probabilities on the device: parts per million."""

Rule = Literal["log", "quadratic"]


def _forecast(p: ArrayLike, name: str = "forecast") -> NDArray[np.float64]:
    x = np.asarray(p, dtype=np.float64)
    if x.ndim != 1 or x.size < 2:
        raise ValueError(f"{name} must be a vector over at least two outcomes, got {p!r}")
    if not np.all(np.isfinite(x)) or np.any(x < 0):
        raise ValueError(f"{name} must hold finite non-negative probabilities, got {p!r}")
    if abs(float(x.sum()) - 1.0) > 1e-9:
        raise ValueError(f"{name} must sum to 1, sums to {float(x.sum())!r}")
    return x


def _outcome(o: int, n: int) -> int:
    if type(o) is not int or not 0 <= o < n:
        raise ValueError(f"outcome must be an int index in [0, {n}), got {o!r}")
    return o


def log_score(p: ArrayLike, o: int) -> float:
    """``ln pₒ`` (``-inf`` if ``pₒ = 0``)."""
    x = _forecast(p)
    v = x[_outcome(o, x.size)]
    return math.log(v) if v > 0 else -math.inf


def quadratic_score(p: ArrayLike, o: int) -> float:
    """``2 pₒ − Σ pᵢ²`` (``= 1 − brier_loss``)."""
    x = _forecast(p)
    return float(2 * x[_outcome(o, x.size)] - np.dot(x, x))


def brier_loss(p: ArrayLike, o: int) -> float:
    """``Σᵢ (pᵢ − 1[i = o])²``: 0 for a sure right forecast, 2 for a sure wrong one."""
    x = _forecast(p)
    e = np.zeros_like(x)
    e[_outcome(o, x.size)] = 1.0
    return float(np.sum((x - e) ** 2))


def score(rule: Rule, p: ArrayLike, o: int) -> float:
    """The ``rule``'s score of forecast ``p`` on outcome ``o``."""
    if rule == "log":
        return log_score(p, o)
    if rule == "quadratic":
        return quadratic_score(p, o)
    raise ValueError(f"unknown scoring rule {rule!r} (known: log, quadratic)")


def expected_score(rule: Rule, report: ArrayLike, belief: ArrayLike) -> float:
    """``E_{o ~ belief}[S(report, o)]`` in closed form.

    log: ``Σ qᵢ ln pᵢ``; quadratic: ``2 Σ qᵢ pᵢ − Σ pᵢ²``.
    """
    p, q = _forecast(report, "report"), _forecast(belief, "belief")
    if p.shape != q.shape:
        raise ValueError(f"report has {p.size} outcomes, belief has {q.size}")
    if rule == "log":
        with np.errstate(divide="ignore"):
            logs = np.where(q > 0, np.log(np.where(p > 0, p, 1.0)), 0.0)
        if np.any((q > 0) & (p == 0)):
            return -math.inf
        return float(np.dot(q, logs))
    if rule == "quadratic":
        return float(2 * np.dot(q, p) - np.dot(p, p))
    raise ValueError(f"unknown scoring rule {rule!r} (known: log, quadratic)")


def kl_divergence(q: ArrayLike, p: ArrayLike) -> float:
    """``KL(q ‖ p) = Σ qᵢ ln(qᵢ / pᵢ)``."""
    return float(np.sum(rel_entr(_forecast(q, "q"), _forecast(p, "p"))))


# -- Kelly ---------------------------------------------------------------------------
def kelly_wealth(
    wealth: float, belief: ArrayLike, price: ArrayLike, o: int, fraction: float = 1.0
) -> float:
    """Wealth after one round of (fractional) Kelly betting, once outcome ``o`` happens.

    Full Kelly (``fraction = 1``): ``W · qₒ / pₒ``. Fraction ``λ`` keeps ``(1 − λ) W``
    aside: ``W · ((1 − λ) + λ qₒ / pₒ)``.
    """
    q, p = _forecast(belief, "belief"), _forecast(price, "price")
    if q.shape != p.shape:
        raise ValueError(f"belief has {q.size} outcomes, price has {p.size}")
    o = _outcome(o, q.size)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"Kelly fraction must be in [0, 1], got {fraction!r}")
    if wealth < 0:
        raise ValueError(f"wealth must be >= 0, got {wealth!r}")
    if p[o] <= 0:
        raise ValueError(f"price of outcome {o} must be positive, got {p[o]!r}")
    return float(wealth * ((1.0 - fraction) + fraction * q[o] / p[o]))


def kelly_fraction(belief: float, price: float) -> float:
    """The share of wealth a Kelly bettor stakes on YES in a binary market, net of
    complete sets (which are cash): ``(q − p)/(1 − p)`` if ``q > p``, else 0."""
    if not 0.0 < price < 1.0:
        raise ValueError(f"price must be in (0, 1), got {price!r}")
    if not 0.0 <= belief <= 1.0:
        raise ValueError(f"belief must be in [0, 1], got {belief!r}")
    return max(0.0, (belief - price) / (1.0 - price))


def kelly_growth(belief: ArrayLike, price: ArrayLike) -> float:
    """Expected log growth per round of full Kelly, under the bettor's own belief:
    ``Σ qᵢ ln(qᵢ / pᵢ) = KL(q ‖ p)``."""
    return kl_divergence(belief, price)


# -- emissions -----------------------------------------------------------------------
def emission_weights(
    scores: Sequence[float],
    rule: Literal["improvement", "softmax"] = "improvement",
    *,
    baseline: float = 0.0,
    eta: float = 1.0,
) -> NDArray[np.float64]:
    """Normalised emission weights from epoch scores (see the module docstring).

    ``"improvement"``: ``max(0, s − baseline)`` normalised; all zeros if nobody beat the
    baseline (the caller then emits nothing). ``"softmax"``: ``softmax(η s)``.
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 1 or s.size == 0:
        raise ValueError(f"scores must be a non-empty vector, got {scores!r}")
    if np.any(np.isnan(s)):
        raise ValueError(f"scores must not be NaN, got {scores!r}")
    if rule == "improvement":
        gain = np.maximum(s - baseline, 0.0)
        total = gain.sum()
        return gain / total if total > 0 else gain
    if rule == "softmax":
        if not eta > 0:
            raise ValueError(f"eta must be positive, got {eta!r}")
        return np.asarray(softmax(eta * s), dtype=np.float64)
    raise ValueError(f"unknown emission rule {rule!r} (known: improvement, softmax)")


def brier_improvement_ppm(forecast_ppm: int, outcome: bool) -> int:
    """``(½ − y)² − (f − y)²`` in ppm² for a binary forecast ``f`` of ``y``, exactly.

    Positive when the forecast beats the chance forecast ½ on this outcome (the
    quadratic score's improvement over the baseline, halved for one binary event); the
    most is ``¼`` (``250,000,000,000`` ppm²), for a sure right forecast.
    """
    if type(forecast_ppm) is not int or not 0 <= forecast_ppm <= PPM:
        raise ValueError(f"forecast must be an int in [0, {PPM}] ppm, got {forecast_ppm!r}")
    if type(outcome) is not bool:
        raise ValueError(f"outcome must be a bool, got {outcome!r}")
    y = PPM if outcome else 0
    return (PPM // 2 - y) ** 2 - (forecast_ppm - y) ** 2
