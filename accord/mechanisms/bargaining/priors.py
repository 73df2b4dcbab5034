"""Priors over a trader's private value or cost: uniform, or any density with its CDF.

Bilateral trade (Myerson & Satterthwaite, "Efficient mechanisms for bilateral trading",
*J. Econ. Theory* 29, 1983) draws the buyer's value ``v`` from ``F_B`` and the seller's
cost ``c`` from ``F_S``, independently, each with a density positive on a bounded
interval. A prior here offers what the mechanisms and the quadrature need, vectorised
over NumPy arrays:

* ``pdf(x)`` and ``cdf(x)`` (0 left of the support, 1 right of it);
* ``partial_mean(t) = ∫_low^t x f(x) dx``, so that ``E[(v - c)⁺ | v]`` and its kin are
  closed in ``F`` and this, with no inner integral (``v F_S(t) - M_S(t)``);
* the **virtual value** of a buyer, ``v - w (1 - F(v)) / f(v)``, and the **virtual cost**
  of a seller, ``c + w F(c) / f(c)``, with weight ``w ∈ [0, 1]`` (``w = 1``: Myerson
  1981's virtual valuation; the second-best uses ``w = λ / (1 + λ)``, Myerson &
  Satterthwaite 1983, Theorem 2);
* ``sample(rng, n)``: ``n`` draws by inverse CDF from a seeded ``numpy.random.Generator``.

:class:`UniformPrior` has every one of these in closed form. :class:`DensityPrior` takes
the density and CDF as callables and gets the rest from SciPy: ``partial_mean`` by
``scipy.integrate.quad`` and the inverse CDF by a vectorised bisection (64 halvings:
exact to the float) so that a million draws cost a few array passes, not a million root
finds. Its construction checks that the density integrates to 1 and that the CDF is the
density's integral, so a wrong pair is refused, not silently used.
"""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate
from scipy.interpolate import CubicHermiteSpline

FloatArray = NDArray[np.float64]
Density = Callable[[Any], Any]

MASS_TOLERANCE = 1e-8
"""How far ``∫ f`` over the interval may be from 1 (and the CDF from ``∫ f``)."""
MAX_WIDTH = 1e12
"""The widest interval a prior accepts: beyond it float quadrature loses its digits."""
MIN_WIDTH = 1e-12
"""The narrowest interval a prior accepts (on ``U[0, 1e-300]`` the squared widths
underflow, and the double auction's figures came out wrong without an error)."""
MIN_RELATIVE_WIDTH = 1e-7
"""The narrowest interval relative to its largest end: ``U[10⁹, 10⁹ + 1]`` keeps only
~7 of a float's digits for the values' differences, too few for the 1e-9 the quadrature
promises."""
TABLE_CELLS = 2048
"""Cells of a density prior's partial-mean table."""
BISECTIONS = 64
"""Halvings of the inverse-CDF bisection: 2⁻⁶⁴ of the interval is below a float's step."""


def check_real(value: object, name: str) -> float:
    """``value`` as a float if it is a finite real number (not a bool); else ValueError."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return out


def check_interval(low: object, high: object, what: str) -> tuple[float, float]:
    """``(low, high)`` as floats if finite with ``low < high``, ends and width at most
    MAX_WIDTH, and width at least MIN_WIDTH and MIN_RELATIVE_WIDTH times the largest end."""
    lo, hi = check_real(low, f"{what} low"), check_real(high, f"{what} high")
    if not lo < hi:
        raise ValueError(f"{what} interval must have low < high, got [{lo!r}, {hi!r}]")
    if hi - lo > MAX_WIDTH or max(abs(lo), abs(hi)) > MAX_WIDTH:
        raise ValueError(f"{what} interval must lie within ±{MAX_WIDTH:g}, got [{lo!r}, {hi!r}]")
    if hi - lo < max(MIN_WIDTH, MIN_RELATIVE_WIDTH * max(abs(lo), abs(hi))):
        raise ValueError(
            f"{what} interval must be at least {MIN_WIDTH:g} wide and "
            f"{MIN_RELATIVE_WIDTH:g} of its largest end, got [{lo!r}, {hi!r}]"
        )
    return lo, hi


def check_weight(weight: object) -> float:
    """A virtual-value weight in ``[0, 1]``; ValueError otherwise."""
    w = check_real(weight, "virtual-value weight")
    if not 0.0 <= w <= 1.0:
        raise ValueError(f"virtual-value weight must be in [0, 1], got {weight!r}")
    return w


def check_priors(buyer: object, seller: object) -> tuple[Prior, Prior]:
    """``(buyer, seller)`` if both are priors; ValueError naming the one that is not."""
    if not isinstance(buyer, Prior):
        raise ValueError(f"buyer prior must be a Prior, got {buyer!r}")
    if not isinstance(seller, Prior):
        raise ValueError(f"seller prior must be a Prior, got {seller!r}")
    return buyer, seller


def check_k(k: object) -> float:
    """A double auction's price weight ``k`` in ``[0, 1]``; ValueError otherwise."""
    value = check_real(k, "k")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"k must be in [0, 1], got {k!r}")
    return value


class Prior(ABC):
    """A distribution with a density positive on the bounded interval ``[low, high]``."""

    low: float
    high: float

    @abstractmethod
    def pdf(self, x: ArrayLike) -> FloatArray:
        """The density at ``x`` (0 outside the interval)."""

    @abstractmethod
    def cdf(self, x: ArrayLike) -> FloatArray:
        """``P(X ≤ x)``: 0 left of the interval, 1 right of it."""

    @abstractmethod
    def partial_mean(self, t: ArrayLike) -> FloatArray:
        """``∫_low^t x f(x) dx`` (``t`` clipped to the interval)."""

    @abstractmethod
    def ppf(self, u: ArrayLike) -> FloatArray:
        """The inverse CDF at ``u ∈ [0, 1]``."""

    @property
    def kinks(self) -> tuple[float, ...]:
        """Points inside the interval where the density is not smooth (quadrature splits)."""
        return ()

    @property
    def mean(self) -> float:
        """``E[X]``."""
        return float(self.partial_mean(self.high))

    def virtual_value(self, x: ArrayLike, weight: float = 1.0) -> FloatArray:
        """A buyer's virtual value ``x - w (1 - F(x)) / f(x)`` (Myerson 1981, eq. 3.4);
        ``-inf`` where the density vanishes below the top of the interval."""
        w = check_weight(weight)
        xs = self.clip(x)
        if w == 0.0:
            return xs
        with np.errstate(divide="ignore", invalid="ignore"):
            hazard = np.where(xs >= self.high, 0.0, (1.0 - self.cdf(xs)) / self.pdf(xs))
        return np.asarray(xs - w * hazard, dtype=np.float64)

    def virtual_cost(self, x: ArrayLike, weight: float = 1.0) -> FloatArray:
        """A seller's virtual cost ``x + w F(x) / f(x)`` (Myerson & Satterthwaite 1983);
        ``+inf`` where the density vanishes above the bottom of the interval."""
        w = check_weight(weight)
        xs = self.clip(x)
        if w == 0.0:
            return xs
        with np.errstate(divide="ignore", invalid="ignore"):
            hazard = np.where(xs <= self.low, 0.0, self.cdf(xs) / self.pdf(xs))
        return np.asarray(xs + w * hazard, dtype=np.float64)

    def clip(self, x: ArrayLike) -> FloatArray:
        """``x`` as a float array, clipped to ``[low, high]``."""
        return np.clip(np.asarray(x, dtype=np.float64), self.low, self.high)

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        """``n`` independent draws by inverse CDF from ``rng``."""
        return self.ppf(rng.random(n))


@dataclass(frozen=True)
class UniformPrior(Prior):
    """``U[low, high]``: density ``1 / (high - low)`` on the interval, every form closed."""

    low: float
    high: float

    def __post_init__(self) -> None:
        lo, hi = check_interval(self.low, self.high, "uniform prior")
        object.__setattr__(self, "low", lo)
        object.__setattr__(self, "high", hi)

    @property
    def width(self) -> float:
        """``high - low``."""
        return self.high - self.low

    def pdf(self, x: ArrayLike) -> FloatArray:
        xs = np.asarray(x, dtype=np.float64)
        inside = (xs >= self.low) & (xs <= self.high)
        return np.where(inside, 1.0 / self.width, 0.0)

    def cdf(self, x: ArrayLike) -> FloatArray:
        return (self.clip(x) - self.low) / self.width

    def partial_mean(self, t: ArrayLike) -> FloatArray:
        ts = self.clip(t)
        return (ts - self.low) * (ts + self.low) / (2.0 * self.width)

    def ppf(self, u: ArrayLike) -> FloatArray:
        us = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
        return np.asarray(self.low + us * self.width, dtype=np.float64)

    @property
    def mean(self) -> float:
        return 0.5 * (self.low + self.high)


def _vectorised(
    fn: Density, name: str, low: float, high: float
) -> Callable[[FloatArray], FloatArray]:
    """``fn`` as an array-to-array function: used as is if it maps an array to an array of
    the same shape, else wrapped in ``numpy.vectorize``."""
    probe = np.linspace(low, high, 3)
    try:
        with np.errstate(all="ignore"):
            out = np.asarray(fn(probe), dtype=np.float64)
        if out.shape == probe.shape:

            def direct(x: FloatArray) -> FloatArray:
                return np.asarray(fn(x), dtype=np.float64)

            return direct
    except Exception:
        pass
    wrapped = np.vectorize(fn, otypes=[np.float64])

    def each(x: FloatArray) -> FloatArray:
        return np.asarray(wrapped(x), dtype=np.float64)

    if not callable(fn):
        raise ValueError(f"{name} must be callable, got {fn!r}")
    return each


@dataclass(frozen=True)
class DensityPrior(Prior):
    """A prior from a density and its CDF given as callables on ``[low, high]``.

    ``density`` must be positive inside the interval and integrate to 1 over it, and
    ``cdf(x)`` must equal ``∫_low^x density`` (both are checked at construction to
    :data:`MASS_TOLERANCE`, at nine points). ``kinks`` lists interior points where the
    density is not smooth, so that the quadrature splits there. Callables may be scalar
    or vectorised; scalar ones are wrapped (and slower).
    """

    density: Density
    distribution: Density
    low: float
    high: float
    kinks_at: tuple[float, ...] = ()
    _pdf: Callable[[FloatArray], FloatArray] = field(init=False, repr=False, compare=False)
    _cdf: Callable[[FloatArray], FloatArray] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lo, hi = check_interval(self.low, self.high, "density prior")
        object.__setattr__(self, "low", lo)
        object.__setattr__(self, "high", hi)
        if not callable(self.density):
            raise ValueError(f"density must be callable, got {self.density!r}")
        if not callable(self.distribution):
            raise ValueError(f"cdf must be callable, got {self.distribution!r}")
        if not isinstance(self.kinks_at, tuple):
            raise ValueError(f"kinks must be a tuple of reals, got {self.kinks_at!r}")
        kinks = tuple(sorted(check_real(k, "kink") for k in self.kinks_at))
        if any(not lo < k < hi for k in kinks):
            raise ValueError(f"kinks must lie inside ({lo!r}, {hi!r}), got {kinks!r}")
        object.__setattr__(self, "kinks_at", kinks)
        object.__setattr__(self, "_pdf", _vectorised(self.density, "density", lo, hi))
        object.__setattr__(self, "_cdf", _vectorised(self.distribution, "cdf", lo, hi))
        self._check()

    def _check(self) -> None:
        grid = np.linspace(self.low, self.high, 33)
        try:
            with np.errstate(all="ignore"):
                dens = self._pdf(grid)
                cums = self._cdf(grid)
        except Exception as exc:
            raise ValueError(f"density or cdf failed on the interval: {exc}") from None
        if not (np.all(np.isfinite(dens)) and np.all(np.isfinite(cums))):
            raise ValueError("density and cdf must be finite on the interval")
        if np.any(dens[1:-1] <= 0.0) or np.any(dens < 0.0):
            raise ValueError("density must be positive inside the interval")
        cuts = (self.low, *self.kinks_at, self.high)
        pieces = [self._integral(a, b) for a, b in itertools.pairwise(cuts)]
        mass = math.fsum(pieces)
        if abs(mass - 1.0) > MASS_TOLERANCE:
            raise ValueError(f"density must integrate to 1 over the interval, got {mass:.12g}")
        for x in np.linspace(self.low, self.high, 9):
            want = math.fsum(
                self._integral(a, min(b, x)) for a, b in itertools.pairwise(cuts) if a < x
            )
            got = float(self._cdf(np.array([x]))[0])
            if abs(got - want) > MASS_TOLERANCE:
                raise ValueError(
                    f"cdf must be the density's integral: cdf({x:.6g}) = {got:.12g}, "
                    f"∫ density = {want:.12g}"
                )

    def _integral(self, a: float, b: float, moment: int = 0) -> float:
        def f(x: float) -> float:
            return float(self._pdf(np.array([x]))[0]) * x**moment

        value, _ = integrate.quad(f, a, b, epsabs=1e-14, epsrel=1e-13, limit=200)
        return float(value)

    @property
    def kinks(self) -> tuple[float, ...]:
        return self.kinks_at

    def pdf(self, x: ArrayLike) -> FloatArray:
        xs = np.asarray(x, dtype=np.float64)
        inside = (xs >= self.low) & (xs <= self.high)
        return np.where(inside, self._pdf(np.clip(xs, self.low, self.high)), 0.0)

    def cdf(self, x: ArrayLike) -> FloatArray:
        xs = np.asarray(x, dtype=np.float64)
        inner = np.clip(self._cdf(self.clip(xs)), 0.0, 1.0)
        return np.where(xs <= self.low, 0.0, np.where(xs >= self.high, 1.0, inner))

    @cached_property
    def _mean_table(self) -> CubicHermiteSpline:
        """``t ↦ ∫_low^t x f(x) dx`` at :data:`TABLE_CELLS` cells (and the kinks), each by
        Gauss–Legendre, read by cubic Hermite interpolation with the exact derivative
        ``t f(t)``: accurate to ~1e-13 for a density smooth between its kinks."""
        nodes = np.union1d(np.linspace(self.low, self.high, TABLE_CELLS + 1), self.kinks_at)
        gx, gw = np.polynomial.legendre.leggauss(8)
        a, b = nodes[:-1, None], nodes[1:, None]
        pts = 0.5 * (b - a) * gx[None, :] + 0.5 * (a + b)
        dens = self._pdf(pts.ravel()).reshape(pts.shape)
        cells = 0.5 * (b - a)[:, 0] * ((pts * dens) @ gw)
        values = np.concatenate([[0.0], np.cumsum(cells)])
        return CubicHermiteSpline(nodes, values, nodes * self._pdf(nodes))

    def partial_mean(self, t: ArrayLike) -> FloatArray:
        return np.asarray(self._mean_table(self.clip(t)), dtype=np.float64)

    def ppf(self, u: ArrayLike) -> FloatArray:
        us = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
        lo = np.full(us.shape, self.low)
        hi = np.full(us.shape, self.high)
        for _ in range(BISECTIONS):
            mid = 0.5 * (lo + hi)
            below = self.cdf(mid) < us
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        return np.asarray(0.5 * (lo + hi), dtype=np.float64)
