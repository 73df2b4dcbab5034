"""Rubinstein's alternating-offers split: closed forms, limits, hostile discount factors."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.bargaining.rubinstein import (
    frequent_offers_limit,
    rates_to_discounts,
    rubinstein,
    stahl,
)


def test_closed_form_exact() -> None:
    # x* = (1 - d2) / (1 - d1 d2): with d1 = 1/2, d2 = 2/3, x* = (1/3) / (2/3) = 1/2.
    assert rubinstein(F(1, 2), F(2, 3)) == (F(1, 2), F(1, 2))
    # equal factors: the first proposer gets 1 / (1 + d)
    assert rubinstein(F(9, 10), F(9, 10)) == (F(10, 19), F(9, 19))
    # the second player proposing first: the roles swap
    assert rubinstein(F(9, 10), F(9, 10), first=1) == (F(9, 19), F(10, 19))
    # a patient responder gains: d2 -> 0.99 leaves the proposer (0.01)/(1 - 0.9*0.99)
    x, y = rubinstein(F(9, 10), F(99, 100))
    assert x == F(1, 100) / (1 - F(891, 1000)) and x + y == 1


def test_floats_give_floats() -> None:
    x, y = rubinstein(0.9, 0.8)
    assert isinstance(x, float) and math.isclose(x, 0.2 / 0.28) and math.isclose(x + y, 1)


@settings(max_examples=200, deadline=None)
@given(
    st.fractions(min_value=0, max_value=1, max_denominator=50),
    st.fractions(min_value=0, max_value=1, max_denominator=50),
)
def test_responder_gets_its_discounted_proposer_share(d1: F, d2: F) -> None:
    if not (0 < d1 < 1 and 0 < d2 < 1):
        with pytest.raises(ValueError, match="strictly between 0 and 1"):
            rubinstein(d1, d2)
        return
    x, y = rubinstein(d1, d2)
    own, _ = rubinstein(d2, d1)  # player 1's share were it to propose first
    assert x + y == 1 and y == d2 * own  # indifference of the responder (Rubinstein 1982)
    assert x == 1 - d2 * (1 - d1 * x)  # the fixed point of one round of alternation


def test_finite_horizon_converges_to_rubinstein() -> None:
    d = (F(4, 5), F(3, 5))
    assert stahl(*d, rounds=1) == (1, 0)  # the last proposer takes all
    assert stahl(*d, rounds=2) == (1 - F(3, 5), F(3, 5))  # 0 offers 1 what it gets next
    limit = rubinstein(*d)
    gaps = [abs(stahl(*d, rounds=t)[0] - limit[0]) for t in (2, 4, 8, 16, 32)]
    assert all(a > b for a, b in itertools.pairwise(gaps)) and gaps[-1] < F(1, 10**4)
    # the gap shrinks by exactly d0 d1 every two rounds (a geometric series)
    for t in (2, 3, 10):
        g0 = stahl(*d, rounds=t)[0] - limit[0]
        g2 = stahl(*d, rounds=t + 2)[0] - limit[0]
        assert g2 == d[0] * d[1] * g0


def test_frequent_offers_tend_to_the_asymmetric_nash_split() -> None:
    r0, r1 = 0.05, 0.15
    for dt, tol in ((1.0, 0.06), (0.01, 1e-3), (1e-5, 1e-6)):
        x, _ = rubinstein(*rates_to_discounts(r0, r1, dt))
        assert abs(x - frequent_offers_limit(r0, r1)[0]) < tol
    assert frequent_offers_limit(r0, r1) == pytest.approx((0.75, 0.25), abs=1e-15)


@pytest.mark.parametrize(
    "bad", [0, 1, -0.5, 1.5, F(3, 2), math.nan, math.inf, -math.inf, True, None, "0.5", 2j]
)
def test_discount_factors_outside_the_open_interval_are_refused(bad: object) -> None:
    with pytest.raises((ValueError, TypeError), match="delta1"):
        rubinstein(0.5, bad)
    with pytest.raises((ValueError, TypeError), match="delta0"):
        stahl(bad, 0.5, 3)


def test_bad_rounds_and_first_are_refused() -> None:
    for rounds in (0, -1, 10**7, 2.0, True, None):
        with pytest.raises(ValueError, match="rounds"):
            stahl(0.5, 0.5, rounds)
    for first in (2, -1, True, 0.0, None):
        with pytest.raises(ValueError, match="first"):
            rubinstein(0.5, 0.5, first=first)
    with pytest.raises(ValueError, match="dt must be positive"):
        rates_to_discounts(0.1, 0.1, 0.0)
    with pytest.raises(ValueError, match="r0 must be a finite number"):
        frequent_offers_limit(math.nan, 0.1)
