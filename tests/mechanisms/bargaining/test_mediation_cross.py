"""The mediator's exact rules against the float mechanisms of ``bilateral*.py``.

The same mechanism is written twice on purpose: in floats, vectorised, for quadrature and
simulation off the device (the ``bilateral`` part), and in exact integers and fractions
for the device (``mediation_rules``). On every integer report pair they must agree: the
same trade, the same payments to 1e-9 of the range. The second-best rules differ in
their transfers (the mediator's is Chatterjee & Samuelson's price, ex-post IR; the float
one is Myerson & Satterthwaite's interim payments made budget balanced AGV-style, only
interim IR), so there the allocation must agree and, by revenue equivalence (Myerson
1981; both hold the worst types to zero utility), the interim expected payments too.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import product

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
)
from accord.mechanisms.bargaining.mediation_rules import BilateralRule, parse_rule

BUYER, SELLER = (0, 60), (20, 90)
SAME = (0, 100)


def exact(spec: tuple[object, ...]) -> BilateralRule:
    rule = parse_rule(spec, 2)
    assert isinstance(rule, BilateralRule)
    return rule


CASES = [
    (("k_double_auction", BUYER, SELLER, 1, (1, 2)), KDoubleAuction(0.5)),
    (("k_double_auction", BUYER, SELLER, 1, (1, 4)), KDoubleAuction(0.25)),
    (("posted_price", BUYER, SELLER, 1, 45), PostedPrice(45.0)),
    (("first_best", BUYER, SELLER, 1), FirstBest(0.5)),
    (("vcg", BUYER, SELLER, 1), VCG()),
    (("agv", BUYER, SELLER, 1), AGV()),
    (("agv", SAME, SAME, 1), AGV()),
]


@pytest.mark.parametrize(("spec", "mechanism"), CASES, ids=lambda x: str(x)[:30])
def test_every_report_pair_settles_as_the_float_mechanism_says(
    spec: tuple[object, ...], mechanism: object
) -> None:
    mine = exact(spec)
    (vl, vh), (cl, ch) = mine.buyer, mine.seller
    theirs = mechanism.bind(UniformPrior(vl, vh), UniformPrior(cl, ch))  # type: ignore[attr-defined]
    v, c = (
        np.array(x, dtype=float)
        for x in zip(*product(range(vl, vh + 1), range(cl, ch + 1)), strict=True)
    )
    s = theirs.settle(v, c)
    width = max(vh, ch) - min(vl, cl)
    for k, (vi, ci) in enumerate(zip(v.astype(int), c.astype(int), strict=True)):
        t = mine.decide(int(vi), int(ci))
        assert t.trade == bool(s.trade[k]), (spec, vi, ci)
        assert abs(float(t.buyer_pays) - s.buyer_pays[k]) <= 1e-9 * width, (spec, vi, ci)
        assert abs(float(t.seller_gets) - s.seller_gets[k]) <= 1e-9 * width, (spec, vi, ci)


def test_second_best_allocations_agree_and_interim_payments_are_revenue_equivalent() -> None:
    a, b = SAME
    length = b - a
    mine = exact(("second_best", SAME, SAME, 1))
    theirs = SecondBest().bind(UniformPrior(a, b), UniformPrior(a, b))
    assert abs(theirs.alpha - 1 / 3) < 1e-9  # Myerson & Satterthwaite's weight on U[a, b]
    pairs = [(v, c) for v, c in product(range(a, b + 1), repeat=2) if 4 * (v - c) != length]
    v = np.array([p[0] for p in pairs], dtype=float)
    c = np.array([p[1] for p in pairs], dtype=float)
    trade = theirs.settle(v, c).trade
    assert [mine.decide(x, y).trade for x, y in pairs] == trade.tolist()
    for x in range(a, b + 1, 5):
        # the buyer's interim payment E_c[p(x, c) 1{trade}] with p = (x + c)/3 + a/3 + L/6
        u = max(Fraction(0), x - Fraction(length, 4) - a)  # the costs that trade with x
        price_at = Fraction(x, 3) + Fraction(a, 3) + Fraction(length, 6)
        paid = (u * price_at + ((a + u) ** 2 - a**2) / 6) / length
        assert abs(float(paid) - float(theirs.pi_buyer(float(x)))) <= 1e-9 * length, x
        # the seller's: E_v[p(v, x) 1{trade}], v from x + L/4 to b
        w = max(Fraction(0), b - x - Fraction(length, 4))
        got_at = Fraction(x, 3) + Fraction(a, 3) + Fraction(length, 6)
        low = b - w
        received = (w * got_at + (b**2 - low**2) / 6) / length
        assert abs(float(received) - float(theirs.pi_seller(float(x)))) <= 1e-9 * length, x
