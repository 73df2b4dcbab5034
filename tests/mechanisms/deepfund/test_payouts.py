"""Largest-remainder payouts: exact integers, conserved, each the floor or ceiling of its
quota; floats and fractions taken exactly; ties to the first name."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.deepfund.payouts import (
    apportion,
    float_weights,
    fraction_weights,
    largest_remainder,
)


def test_hamilton_by_hand() -> None:
    # quotas 10·(15, 10, 7, 3)/35 = 4.29, 2.86, 2, 0.86: floors 4, 2, 2, 0 leave 2 units;
    # the remainders of parts 1 and 3 tie exactly (30/35 each) and beat part 0 (10/35)
    assert largest_remainder(10, [15, 10, 7, 3]) == [4, 3, 2, 1]
    assert largest_remainder(1, [1, 1, 1]) == [1, 0, 0]  # a tie goes to the earlier part
    assert largest_remainder(0, [0, 0]) == [0, 0]
    assert largest_remainder(7, [0, 5, 0]) == [0, 7, 0]


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="amount must be a non-negative int"):
        largest_remainder(-1, [1])
    with pytest.raises(ValueError, match="amount must be a non-negative int"):
        largest_remainder(1.5, [1])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="weight 1 must be a non-negative int"):
        largest_remainder(5, [1, -2])
    with pytest.raises(ValueError, match="all zero"):
        largest_remainder(5, [0, 0])
    with pytest.raises(ValueError, match="share 0 must be a finite number"):
        float_weights([float("nan")])


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 10**24),
    st.lists(st.integers(0, 10**30), min_size=1, max_size=12).filter(any),
)
def test_conserved_and_within_one_unit_of_the_quota(amount: int, weights: list[int]) -> None:
    parts = largest_remainder(amount, weights)
    assert sum(parts) == amount
    total = sum(weights)
    for part, w in zip(parts, weights, strict=True):
        quota = Fraction(amount * w, total)
        assert quota - 1 < part < quota + 1
        assert part in (quota.__floor__(), quota.__ceil__())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1e6, allow_nan=False, allow_infinity=False), min_size=1, max_size=8))
def test_float_weights_are_the_exact_ratios(values: list[float]) -> None:
    ints = float_weights(values)
    for a, x in zip(ints, values, strict=True):
        for b, y in zip(ints, values, strict=True):
            assert Fraction(a) * Fraction(y) == Fraction(b) * Fraction(x)


def test_fraction_weights_share_a_denominator() -> None:
    assert fraction_weights([Fraction(1, 2), Fraction(1, 3), Fraction(1, 6)]) == [3, 2, 1]


def test_apportion_floats_fractions_and_ties_by_name() -> None:
    assert apportion(1, {"b": 0.5, "a": 0.5}) == {"a": 1, "b": 0}
    thirds = {"z": Fraction(1, 3), "y": Fraction(1, 3), "x": Fraction(1, 3)}
    assert apportion(100, thirds) == {"x": 34, "y": 33, "z": 33}
    assert apportion(10**18, {"a": 0.625, "b": 0.375}) == {"a": 625 * 10**15, "b": 375 * 10**15}
