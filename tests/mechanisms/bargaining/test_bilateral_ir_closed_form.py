"""AGV's ex-post IR shortfall on U[0,1]² in closed form: the 1e-9 claim for the figure
that has no closed inner integral (the grid test elsewhere checks it only to 1e-6).

On U[0,1]² AGV's buyer pays the seller ``t = 1/2 + (v² - c²)/2`` on every draw
(``E[v] - M_B(c) + M_S(v)``, d'Aspremont & Gérard-Varet 1979), and trades iff ``v ≥ c``.
Hence, worked out by hand from the rule, not from the code:

* buyer, trade: ``u_B = (c² - (1 - v)²)/2 < 0`` iff ``c < 1 - v``: shortfall
  ``∫∫ ((1 - v)² - c²)/2 = 5/192 + 1/192 = 1/32``;
* buyer, no trade: ``u_B = -(1 + v² - c²)/2 < 0`` always: ``∫_0^1 (c - 2c³/3)/2 = 1/6``;
* seller, trade: ``u_S = (v² - q(c))/2`` with ``q = (1 + c)² - 2``, negative for
  ``c ≤ v < √q``, which needs ``c > 1/2``; with ``r = √3 - 1`` (where ``√q`` reaches 1)::

      C = ∫_{1/2}^{r} [q^{3/2}/3 - q c/2 + c³/6] dc + ∫_r^1 [q (1 - c)/2 - (1 - c³)/6] dc

  and ``∫ (x² - 2)^{3/2} dx = x (x² - 2)^{3/2}/4 - 3x √(x² - 2)/4
  + (3/2) ln(x + √(x² - 2))`` (``x = 1 + c``) closes the only non-polynomial piece;
* seller, no trade: ``u_S = t ≥ 0``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from accord.mechanisms.bargaining import AGV, UniformPrior, expected_outcome


def _poly_integral(coeffs: list[Fraction], a: float, b: float) -> float:
    """``∫_a^b Σ coeffs[i] c^i dc`` (exact coefficients, float limits)."""
    return sum(float(k) / (i + 1) * (b ** (i + 1) - a ** (i + 1)) for i, k in enumerate(coeffs))


def agv_ir_shortfall_unit_square() -> float:
    r = math.sqrt(3) - 1

    def anti(x: float) -> float:
        s = math.sqrt(x * x - 2)
        return x * s**3 / 4 - 3 * x * s / 4 + 1.5 * math.log(x + s)

    q32 = anti(math.sqrt(3)) - anti(1.5)  # ∫_{1/2}^{r} q^{3/2} dc
    # -q c/2 + c³/6 = (c - 2c² - c³)/2 + c³/6 = c/2 - c² - c³/3
    c1 = q32 / 3 + _poly_integral(
        [Fraction(0), Fraction(1, 2), Fraction(-1), Fraction(-1, 3)], 0.5, r
    )
    # q (1 - c)/2 - (1 - c³)/6 = (-1 + 3c - c² - c³)/2 - 1/6 + c³/6
    c2 = _poly_integral([Fraction(-2, 3), Fraction(3, 2), Fraction(-1, 2), Fraction(-1, 3)], r, 1.0)
    return 1 / 32 + 1 / 6 + c1 + c2


def test_agv_ir_shortfall_matches_its_closed_form() -> None:
    u = UniformPrior(0.0, 1.0)
    want = agv_ir_shortfall_unit_square()
    assert want == pytest.approx(0.2094780828756566, abs=1e-15)
    assert expected_outcome(AGV(), u, u).ir_violation == pytest.approx(want, abs=1e-12)
