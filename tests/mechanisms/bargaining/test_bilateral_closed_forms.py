"""Quadrature against closed forms: every figure to 1e-9 or better.

U[0,1]² numbers (Chatterjee & Samuelson 1983; Myerson & Satterthwaite 1983): first best
1/6; the ½-double auction trades iff v ≥ c + 1/4, P = 9/32, gains 9/64, efficiency
27/32; the second best is the same (α = 1/3); the best posted price is 1/2 with gains
1/8; VCG's deficit is 1/6; AGV balances. Other uniform intervals and k: exact polygon
integrals (``exact.py``).
"""

from __future__ import annotations

from fractions import Fraction as Fr

import numpy as np
import pytest

from accord.mechanisms.bargaining import (
    AGV,
    VCG,
    FirstBest,
    KDoubleAuction,
    PostedPrice,
    SecondBest,
    UniformPrior,
    best_posted_price,
    expected_outcome,
    linear_equilibrium,
    second_best_weight,
)
from tests.mechanisms.bargaining.exact import linear_region

U = UniformPrior(0.0, 1.0)
TOL = 1e-12  # the library promises 1e-9; on uniform priors it does far better


def test_half_double_auction_on_the_unit_square() -> None:
    out = expected_outcome(KDoubleAuction(0.5), U, U)
    assert out.gains == pytest.approx(9 / 64, abs=TOL)
    assert out.p_trade == pytest.approx(9 / 32, abs=TOL)
    assert out.efficiency == pytest.approx(27 / 32, abs=TOL)
    assert out.deficit == 0.0
    assert out.ir_violation == pytest.approx(0.0, abs=TOL)
    eq = linear_equilibrium(0.5, U, U)
    assert (eq.bid_slope, eq.bid_intercept) == pytest.approx((2 / 3, 1 / 12), abs=1e-15)
    assert (eq.ask_slope, eq.ask_intercept) == pytest.approx((2 / 3, 1 / 4), abs=1e-15)


CASES = [
    (Fr(1, 2), (Fr(0), Fr(1)), (Fr(0), Fr(1))),
    (Fr(1, 4), (Fr(0), Fr(1)), (Fr(0), Fr(1))),
    (Fr(3, 4), (Fr(0), Fr(1)), (Fr(0), Fr(1))),
    (Fr(0), (Fr(0), Fr(1)), (Fr(0), Fr(1))),
    (Fr(1), (Fr(0), Fr(1)), (Fr(0), Fr(1))),
    (Fr(1, 2), (Fr(0), Fr(1)), (Fr(1, 5), Fr(6, 5))),
    (Fr(1, 2), (Fr(0), Fr(2)), (Fr(0), Fr(3, 2))),
    (Fr(1, 4), (Fr(0), Fr(1)), (Fr(-1, 10), Fr(9, 10))),
    (Fr(2, 5), (Fr(0), Fr(6, 5)), (Fr(0), Fr(1))),
    (Fr(1, 2), (Fr(1), Fr(3)), (Fr(1), Fr(3))),
]


@pytest.mark.parametrize(("k", "b", "s"), [(0.5, (1, 3), (0, 2)), (1 / 3, (10, 14), (9, 13))])
def test_no_linear_equilibrium_is_refused(k: float, b: tuple[int, int], s: tuple[int, int]) -> None:
    """A buyer much stronger than the seller would bid above the highest ask: the linear
    strategies are no equilibrium there, and the library says so instead of using them."""
    with pytest.raises(ValueError, match="no linear equilibrium"):
        expected_outcome(KDoubleAuction(k), UniformPrior(*b), UniformPrior(*s))


def _exact_da(k: Fr, b: tuple[Fr, Fr], s: tuple[Fr, Fr]) -> tuple[Fr, Fr]:
    """P(trade) and gains of the k-DA's linear equilibrium, exactly (module doc of
    bilateral_auction: trade iff c ≤ (2 - k) b(v) - (1 - k) B̄)."""
    low_ask = ((1 + k) * s[0] + (1 - k) * b[1]) / 2
    high_bid = (b[1] + k * low_ask) / (1 + k)
    a = (2 - k) * k * low_ask / (1 + k) - (1 - k) * high_bid
    m = (2 - k) / (1 + k)
    p, ev, ec = linear_region(b, s, a, m)
    return p, ev - ec


@pytest.mark.parametrize(("k", "b", "s"), CASES)
def test_double_auction_matches_the_exact_polygon(
    k: Fr, b: tuple[Fr, Fr], s: tuple[Fr, Fr]
) -> None:
    buyer, seller = UniformPrior(float(b[0]), float(b[1])), UniformPrior(float(s[0]), float(s[1]))
    out = expected_outcome(KDoubleAuction(float(k)), buyer, seller)
    p, gains = _exact_da(k, b, s)
    _, evf, ecf = linear_region(b, s, Fr(0), Fr(1))
    scale = float(max(abs(x) for x in (*b, *s)))
    assert out.p_trade == pytest.approx(float(p), abs=1e-12)
    assert out.gains == pytest.approx(float(gains), abs=1e-12 * scale)
    assert out.efficiency == pytest.approx(float(gains / (evf - ecf)), abs=1e-11)
    assert out.ir_violation == pytest.approx(0.0, abs=1e-12 * scale)


@pytest.mark.parametrize(("k", "b", "s"), CASES)
def test_linear_equilibrium_is_a_best_response(k: Fr, b: tuple[Fr, Fr], s: tuple[Fr, Fr]) -> None:
    """No bid on a fine grid beats the equilibrium bid against the equilibrium asks (and
    the same for asks): the payoff of bid x against asks uniform on [A, Ā] is exact."""
    buyer, seller = UniformPrior(float(b[0]), float(b[1])), UniformPrior(float(s[0]), float(s[1]))
    kf = float(k)
    eq = linear_equilibrium(kf, buyer, seller)
    asks = (
        eq.ask_intercept + eq.ask_slope * seller.low,
        eq.ask_intercept + eq.ask_slope * seller.high,
    )
    bids = (
        eq.bid_intercept + eq.bid_slope * buyer.low,
        eq.bid_intercept + eq.bid_slope * buyer.high,
    )

    def buyer_payoff(v: float, x: np.ndarray) -> np.ndarray:
        lo, hi = asks
        top = np.clip(x, lo, hi)  # asks in [lo, top] trade at k x + (1 - k) a
        mass = (top - lo) / (hi - lo)
        mean_ask = 0.5 * (lo + top)
        return mass * (v - kf * x - (1 - kf) * mean_ask)

    def seller_payoff(c: float, y: np.ndarray) -> np.ndarray:
        lo, hi = bids
        bottom = np.clip(y, lo, hi)
        mass = (hi - bottom) / (hi - lo)
        mean_bid = 0.5 * (bottom + hi)
        return mass * (kf * mean_bid + (1 - kf) * y - c)

    span = max(buyer.high, seller.high) - min(buyer.low, seller.low)
    grid = np.linspace(min(buyer.low, seller.low) - span, max(buyer.high, seller.high) + span, 4001)
    for v in np.linspace(buyer.low, buyer.high, 17):
        best = float(np.max(buyer_payoff(float(v), grid)))
        eq_bid = eq.bid_intercept + eq.bid_slope * v
        assert float(buyer_payoff(float(v), np.array(eq_bid))) >= best - 1e-12 * span
    for c in np.linspace(seller.low, seller.high, 17):
        best = float(np.max(seller_payoff(float(c), grid)))
        eq_ask = eq.ask_intercept + eq.ask_slope * c
        assert float(seller_payoff(float(c), np.array(eq_ask))) >= best - 1e-12 * span


def test_second_best_on_the_unit_square_is_the_half_double_auction() -> None:
    assert second_best_weight(U, U) == pytest.approx(1 / 3, abs=1e-13)
    out = expected_outcome(SecondBest(), U, U)
    assert out.gains == pytest.approx(9 / 64, abs=TOL)
    assert out.p_trade == pytest.approx(9 / 32, abs=TOL)
    assert out.efficiency == pytest.approx(27 / 32, abs=TOL)
    assert out.deficit == 0.0


@pytest.mark.parametrize(("b", "s"), [(c[1], c[2]) for c in CASES[5:]])
def test_second_best_binds_the_participation_constraint(b: tuple[Fr, Fr], s: tuple[Fr, Fr]) -> None:
    """Uniform priors: trade iff v - c ≥ δ = α (b_hi - s_lo)/(1 + α), and at the solved α the
    worst types' utilities sum to zero: E[(2v - b_hi - 2c + s_lo)·x] = 0 (exact polygon)."""
    buyer, seller = UniformPrior(float(b[0]), float(b[1])), UniformPrior(float(s[0]), float(s[1]))
    alpha = Fr(second_best_weight(buyer, seller))
    delta = alpha * (b[1] - s[0]) / (1 + alpha)
    p, ev, ec = linear_region(b, s, -delta, Fr(1))
    assert float(2 * ev - 2 * ec - (b[1] - s[0]) * p) == pytest.approx(0.0, abs=1e-12)
    out = expected_outcome(SecondBest(), buyer, seller)
    assert out.gains == pytest.approx(float(ev - ec), abs=1e-11)
    assert out.p_trade == pytest.approx(float(p), abs=1e-11)
    # the ½-double auction is second-best only on symmetric priors; never better
    da = expected_outcome(KDoubleAuction(0.5), buyer, seller)
    assert da.gains <= out.gains + 1e-12


def test_first_best_vcg_and_agv_on_the_unit_square() -> None:
    for mech in (FirstBest(), VCG(), AGV()):
        out = expected_outcome(mech, U, U)
        assert out.gains == pytest.approx(1 / 6, abs=TOL)
        assert out.p_trade == pytest.approx(1 / 2, abs=TOL)
        assert out.efficiency == pytest.approx(1.0, abs=TOL)
    # VCG pays each side the other's value: deficit E[(v - c)⁺] = ∫∫_{v≥c} (v - c) = 1/6.
    assert expected_outcome(VCG(), U, U).deficit == pytest.approx(1 / 6, abs=1e-11)
    assert expected_outcome(AGV(), U, U).deficit == 0.0


def test_vcg_deficit_on_other_intervals() -> None:
    """Buyer U[1,3], seller U[0,2]: per trade the deficit is min(v, 2) - max(c, 1). Exact by
    splitting the box at v = 2 and c = 1 (each piece a polygon with linear integrand)."""
    mass = Fr(4)
    total = Fr(0)
    for vb in ((Fr(1), Fr(2)), (Fr(2), Fr(3))):
        for cb in ((Fr(0), Fr(1)), (Fr(1), Fr(2))):
            p, ev, ec = linear_region(vb, cb, Fr(0), Fr(1))
            w = (vb[1] - vb[0]) * (cb[1] - cb[0]) / mass
            seller_gets = ev if vb[1] <= 2 else Fr(2) * p
            buyer_pays = ec if cb[0] >= 1 else Fr(1) * p
            total += w * (seller_gets - buyer_pays)
    out = expected_outcome(VCG(), UniformPrior(1, 3), UniformPrior(0, 2))
    assert out.deficit == pytest.approx(float(total), abs=1e-11)
    assert out.deficit > 0


def test_posted_price_closed_form() -> None:
    assert best_posted_price(U, U) == pytest.approx(0.5, abs=1e-9)
    for price in (0.2, 0.5, 0.7):
        out = expected_outcome(PostedPrice(price), U, U)
        assert out.gains == pytest.approx(price * (1 - price) / 2, abs=TOL)
        assert out.p_trade == pytest.approx(price * (1 - price), abs=TOL)
    assert expected_outcome(PostedPrice(), U, U).gains == pytest.approx(1 / 8, abs=TOL)
    assert expected_outcome(PostedPrice(2.0), U, U).gains == 0.0


def _midpoint_shortfall(mech: object, n: int) -> float:
    rule = mech.bind(U, U)  # type: ignore[attr-defined]
    x = (np.arange(n) + 0.5) / n
    total = 0.0
    for i in range(0, n, 250):
        v, c = np.repeat(x[i : i + 250], n), np.tile(x, len(x[i : i + 250]))
        out = rule.outcome(v, c)
        u_b, u_s = v * out.trade - out.buyer_pays, out.seller_gets - c * out.trade
        total += float(np.sum(np.maximum(-u_b, 0) + np.maximum(-u_s, 0)))
    return total / n / n


@pytest.mark.parametrize("mech", [SecondBest(), AGV()])
def test_ir_shortfall_against_an_extrapolated_grid(mech: object) -> None:
    """The IR shortfall has no closed form here; the midpoint rule on an n×n grid errs by
    O(1/n) (the integrand jumps at the trade boundary), so Richardson's 2·M(2n) - M(n)
    is a reference to ~1e-7, computed with no knowledge of the region."""
    reference = 2 * _midpoint_shortfall(mech, 2000) - _midpoint_shortfall(mech, 1000)
    got = expected_outcome(mech, U, U).ir_violation  # type: ignore[arg-type]
    assert got == pytest.approx(reference, abs=1e-6)
    assert got > 0.09


def test_vcg_runs_a_surplus_on_disjoint_supports() -> None:
    """Buyer U[2,3] above seller U[0,1]: every draw trades, the buyer pays
    ``max(c, 2) = 2`` and the seller gets ``min(v, 1) = 1``: deficit exactly -1."""
    out = expected_outcome(VCG(), UniformPrior(2.0, 3.0), UniformPrior(0.0, 1.0))
    assert out.p_trade == pytest.approx(1.0, abs=1e-12)
    assert out.deficit == pytest.approx(-1.0, abs=1e-11)
