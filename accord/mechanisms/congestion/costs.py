"""Edge cost functions of the routing game: affine, BPR, constant and CFMM.

Every cost ``c(x)`` maps the flow ``x ≥ 0`` on an edge to the cost one unit of that flow
pays (a nonatomic user's "latency"). Each kind gives three functions, vectorised over
edges by :class:`CostTable`:

- ``c(x)``, the latency, non-decreasing and non-negative;
- ``m(x) = c(x) + x·c'(x) = d/dx [x·c(x)]``, the marginal social cost (the optimum's
  latency, Beckmann, McGuire & Winsten 1956, ch. 3; Roughgarden & Tardos 2002, §2);
- ``I(x) = ∫₀ˣ c(s) ds``, the edge's term of the Beckmann potential.

Kinds:

- :class:`Affine` ``c = a + b·x`` (``b = 0``: a constant-cost link, :func:`constant`).
- :class:`Bpr`, the Bureau of Public Roads link: ``c = t₀(1 + α(x/κ)^β)`` (U.S. Bureau
  of Public Roads, *Traffic Assignment Manual*, 1964; α = 0.15, β = 4 by default).
- :class:`Cfmm`, a constant-function market maker traded in one direction.

**What "latency" means on a CFMM edge.** Flow is measured in *value*: units of a common
numéraire at reference (market) prices. A pool holds ``V_in`` and ``V_out`` of value in
the token it takes and the token it gives, with weights ``w_in, w_out`` (both 1 for
constant product) and fee ``1 − γ``. Sending value ``x`` in (``x/p_in`` tokens) returns
``G(x) = V_out·(1 − (V_in/(V_in + γx))^ρ)`` of value, ``ρ = w_in/w_out``: the exact
solution of the invariant ``∏ R^w = const`` with the fee on the input (for ``ρ = 1``,
``x·y = k``: Adams, Zinsmeister & Robinson, "Uniswap v2 Core", 2020, §3.2.1; Angeris &
Chitra, "Improved price oracles: constant function market makers", AFT 2020, §2). Its
*average* execution price is ``G(x)/x`` and its *marginal* price ``G'(x) =
ρ·γ·(V_out/V_in)·(1 + γx/V_in)^(−ρ−1)`` (Angeris & Chitra 2020, §2.2: the marginal price
falls as the trade grows). The edge's latency is the value a unit of flow loses:

    c(x) = 1 − (1 − η)·G(x)/x,

the shortfall of the average price from the reference (fee plus price impact), and the
marginal social cost is ``m(x) = 1 − (1 − η)·G'(x)``. A pool at the reference price has
``c(0) = 1 − γ``, the fee, and ``c → 1`` as ``x → ∞`` (the pool is emptied).

**MEV (η).** Following Kulkarni, Diamandis & Chitra, "Towards a Theory of Maximal
Extractable Value I: Constant Function Market Makers" (WINE 2023, "Routing MEV in
Constant Function Market Makers", §3), a user trading through a CFMM with slippage
tolerance ``η`` is sandwiched: the attacker front-runs until the user's output falls to
its limit ``(1 − η)·G(x)``, so the sandwiched forward function is ``(1 − η)·G(x)``. The
sandwich takes ``η·G(x)/x`` per unit, a loss that depends on the trade size through the
average price; ``η = 0`` is no MEV and ``η = 1`` loses everything.

Which costs the theory needs: ``c`` non-decreasing and continuous (Wardrop equilibria
exist and the Beckmann potential is convex) and ``x·c(x)`` convex (the optimum is a
convex program). All kinds here satisfy both; CFMM edges because ``G`` is concave.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import quad

Array = NDArray[np.float64]

__all__ = ["Affine", "Bpr", "Cfmm", "Cost", "CostTable", "constant"]


def _finite(name: str, value: object, *, low: float = 0.0, strict: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v) or v < low or (strict and v == low):
        bound = ">" if strict else ">="
        raise ValueError(f"{name} must be finite and {bound} {low:g}, got {value!r}")
    return v


@dataclass(frozen=True)
class Affine:
    """``c(x) = a + b·x`` with ``a, b ≥ 0``."""

    a: float = 0.0
    b: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "a", _finite("affine a", self.a))
        object.__setattr__(self, "b", _finite("affine b", self.b))


def constant(cost: float) -> Affine:
    """A link whose cost does not depend on its flow."""
    return Affine(cost, 0.0)


@dataclass(frozen=True)
class Bpr:
    """The BPR link ``c(x) = t₀(1 + α(x/κ)^β)``: free-flow time ``t₀``, capacity ``κ``."""

    free: float = 1.0
    capacity: float = 1.0
    alpha: float = 0.15
    beta: float = 4.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "free", _finite("bpr free", self.free))
        object.__setattr__(self, "capacity", _finite("bpr capacity", self.capacity, strict=True))
        object.__setattr__(self, "alpha", _finite("bpr alpha", self.alpha))
        object.__setattr__(self, "beta", _finite("bpr beta", self.beta, low=1.0))


@dataclass(frozen=True)
class Cfmm:
    """A CFMM traded from its ``in`` token to its ``out`` token, in value units.

    ``value_in``/``value_out`` are the pool's reserves times their reference prices;
    ``gamma`` is one minus the fee; ``weight_in``/``weight_out`` the weighted pool's
    weights (equal: constant product); ``eta`` the sandwich loss (module docstring).
    The pool must not pay more than the reference at zero flow (``(1 − η)·G'(0) ≤ 1``:
    an arbitrage is not a cost), so that every latency is non-negative.
    """

    value_in: float
    value_out: float
    gamma: float = 1.0
    eta: float = 0.0
    weight_in: float = 1.0
    weight_out: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "value_in", _finite("cfmm value_in", self.value_in, strict=True))
        object.__setattr__(
            self, "value_out", _finite("cfmm value_out", self.value_out, strict=True)
        )
        gamma = _finite("cfmm gamma", self.gamma, strict=True)
        if gamma > 1.0:
            raise ValueError(f"cfmm gamma (one minus the fee) must be in (0, 1], got {gamma}")
        object.__setattr__(self, "gamma", gamma)
        eta = _finite("cfmm eta", self.eta)
        if eta > 1.0:
            raise ValueError(f"cfmm eta must be in [0, 1], got {eta}")
        object.__setattr__(self, "eta", eta)
        object.__setattr__(
            self, "weight_in", _finite("cfmm weight_in", self.weight_in, strict=True)
        )
        object.__setattr__(
            self, "weight_out", _finite("cfmm weight_out", self.weight_out, strict=True)
        )
        if (1.0 - self.eta) * self.spot > 1.0 + 1e-12:
            raise ValueError(
                f"cfmm pays {self.spot:.6g} of value per unit at zero flow, above the "
                "reference 1: the pool is mispriced in the trader's favour (an arbitrage)"
            )

    @property
    def rho(self) -> float:
        """``ρ = w_in/w_out``, the exponent of the weighted invariant."""
        return self.weight_in / self.weight_out

    @property
    def spot(self) -> float:
        """``G'(0) = ρ·γ·V_out/V_in``: value out per value in for an infinitesimal trade."""
        return self.rho * self.gamma * self.value_out / self.value_in

    def output(self, x: float) -> float:
        """``G(x)``: the value received for sending value ``x`` in (no sandwich)."""
        u = self.gamma * _finite("flow", x) / self.value_in
        return -self.value_out * math.expm1(-self.rho * math.log1p(u))

    def with_eta(self, eta: float) -> Cfmm:
        """The same pool under sandwich loss ``eta``."""
        return Cfmm(self.value_in, self.value_out, self.gamma, eta, self.weight_in, self.weight_out)

    @classmethod
    def from_reserves(
        cls,
        reserve_in: int | float,
        reserve_out: int | float,
        *,
        price_in: float = 1.0,
        price_out: float = 1.0,
        fee_bps: int = 0,
        eta: float = 0.0,
        weights: tuple[float, float] = (1.0, 1.0),
    ) -> Cfmm:
        """A pool from token reserves, reference prices per token unit and a fee in bps."""
        if type(fee_bps) is not int or not 0 <= fee_bps < 10_000:
            raise ValueError(f"fee_bps must be an int in [0, 10000), got {fee_bps!r}")
        r_in = _finite("reserve_in", reserve_in, strict=True)
        r_out = _finite("reserve_out", reserve_out, strict=True)
        p_in = _finite("price_in", price_in, strict=True)
        p_out = _finite("price_out", price_out, strict=True)
        return cls(r_in * p_in, r_out * p_out, 1.0 - fee_bps / 10_000, eta, weights[0], weights[1])


Cost = Affine | Bpr | Cfmm


class CostTable:
    """The costs of a list of edges, evaluated together on a vector of edge flows."""

    def __init__(self, costs: list[Any]) -> None:
        for e, cost in enumerate(costs):
            if not isinstance(cost, Affine | Bpr | Cfmm):
                raise ValueError(f"edge {e} cost is a {type(cost).__name__}, not a congestion cost")
        self.costs: tuple[Cost, ...] = tuple(costs)
        idx = {k: [e for e, c in enumerate(costs) if isinstance(c, k)] for k in (Affine, Bpr, Cfmm)}
        self.affine = np.array(idx[Affine], dtype=np.intp)
        self.a = np.array([costs[e].a for e in idx[Affine]], dtype=float)
        self.b = np.array([costs[e].b for e in idx[Affine]], dtype=float)
        self.bpr = np.array(idx[Bpr], dtype=np.intp)
        bpr = [costs[e] for e in idx[Bpr]]
        self.t0 = np.array([c.free for c in bpr], dtype=float)
        self.cap = np.array([c.capacity for c in bpr], dtype=float)
        self.alpha = np.array([c.alpha for c in bpr], dtype=float)
        self.beta = np.array([c.beta for c in bpr], dtype=float)
        self.cfmm = np.array(idx[Cfmm], dtype=np.intp)
        pools = [costs[e] for e in idx[Cfmm]]
        self.v_in = np.array([c.value_in for c in pools], dtype=float)
        self.v_out = np.array([c.value_out for c in pools], dtype=float)
        self.gamma = np.array([c.gamma for c in pools], dtype=float)
        self.keep = np.array([1.0 - c.eta for c in pools], dtype=float)
        self.rho = np.array([c.rho for c in pools], dtype=float)
        self.n = len(costs)

    def latency(self, x: Array) -> Array:
        """``c(x)`` per edge."""
        out = np.empty(self.n)
        if len(self.affine):
            out[self.affine] = self.a + self.b * x[self.affine]
        if len(self.bpr):
            out[self.bpr] = self.t0 * (1.0 + self.alpha * (x[self.bpr] / self.cap) ** self.beta)
        if len(self.cfmm):
            xs = x[self.cfmm]
            u = self.gamma * xs / self.v_in
            g = -self.v_out * np.expm1(-self.rho * np.log1p(u))
            spot = self.rho * self.gamma * self.v_out / self.v_in
            small = u < 1e-8  # G(x)/x = spot·(1 − (ρ+1)u/2 + O(u²)): exact where x/x is not
            with np.errstate(divide="ignore", invalid="ignore"):
                avg = np.where(
                    small,
                    spot * (1.0 - 0.5 * (self.rho + 1.0) * u),
                    g / np.where(small, 1.0, xs),
                )
            out[self.cfmm] = 1.0 - self.keep * avg
        return out

    def marginal(self, x: Array) -> Array:
        """``m(x) = c(x) + x·c'(x)`` per edge: the marginal social cost."""
        out = np.empty(self.n)
        if len(self.affine):
            out[self.affine] = self.a + 2.0 * self.b * x[self.affine]
        if len(self.bpr):
            ratio = (x[self.bpr] / self.cap) ** self.beta
            out[self.bpr] = self.t0 * (1.0 + self.alpha * (1.0 + self.beta) * ratio)
        if len(self.cfmm):
            u = self.gamma * x[self.cfmm] / self.v_in
            slope = self.rho * self.gamma * self.v_out / self.v_in * (1.0 + u) ** (-self.rho - 1.0)
            out[self.cfmm] = 1.0 - self.keep * slope
        return out

    def potential(self, x: Array) -> Array:
        """``I(x) = ∫₀ˣ c(s) ds`` per edge: the Beckmann potential's terms."""
        out = np.empty(self.n)
        if len(self.affine):
            xa = x[self.affine]
            out[self.affine] = self.a * xa + 0.5 * self.b * xa * xa
        if len(self.bpr):
            xb = x[self.bpr]
            tail = self.cap * (xb / self.cap) ** (self.beta + 1.0) / (self.beta + 1.0)
            out[self.bpr] = self.t0 * (xb + self.alpha * tail)
        for k, e in enumerate(self.cfmm.tolist()):
            out[e] = x[e] - self.keep[k] * self._output_integral(k, float(x[e]))
        return out

    def _output_integral(self, k: int, x: float) -> float:
        """``∫₀ˣ G(s)/s ds``: ``V_out·log(1 + γx/V_in)`` for constant product, else quadrature."""
        v_in, v_out, gamma, rho = self.v_in[k], self.v_out[k], self.gamma[k], self.rho[k]
        if x <= 0.0:
            return 0.0
        if rho == 1.0:
            return float(v_out * math.log1p(gamma * x / v_in))

        def avg(s: float) -> float:
            if s <= 0.0:
                return float(rho * gamma * v_out / v_in)
            return float(-v_out * math.expm1(-rho * math.log1p(gamma * s / v_in)) / s)

        value, _ = quad(avg, 0.0, x, epsabs=0.0, epsrel=1e-13, limit=200)
        return float(value)

    def total(self, x: Array) -> float:
        """``Σ x·c(x)``: the total cost of edge flows ``x``."""
        return float(np.dot(x, self.latency(x)))
