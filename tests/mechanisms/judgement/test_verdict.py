"""The jury's verdict on a ratio claim: exact rationals, median, tolerance."""

from __future__ import annotations

from fractions import Fraction

import pytest

from accord.mechanisms.judgement.verdict import (
    check_claim,
    claim_holds,
    juror_ratio,
    jury_ratio,
)

CLAIM = ("ethereum", "prysm", "nimbus", 1, 3)  # nimbus = prysm / 3


def test_juror_ratio_is_exp_of_the_log_ratio_sample() -> None:
    assert juror_ratio(2, 250) == Fraction(5, 2)
    assert juror_ratio(1, 362) == Fraction(100, 362)
    assert juror_ratio(2, 100) == 1
    for bad, message in [((3, 200), "choice must be 1"), ((2, 99), "multiplier_centi must")]:
        with pytest.raises(ValueError, match=message):
            juror_ratio(*bad)


def test_median_and_tolerance_boundaries() -> None:
    assert jury_ratio([Fraction(3), Fraction(1), Fraction(2)]) == 2
    assert jury_ratio([Fraction(4), Fraction(1)]) == 1  # lower median
    # claim 1/3; tolerance factor 2: holds for jury ratios in [1/6, 2/3], both ends included
    assert claim_holds(CLAIM, Fraction(1, 6), 20_000)
    assert claim_holds(CLAIM, Fraction(2, 3), 20_000)
    assert not claim_holds(CLAIM, Fraction(2, 3) + Fraction(1, 10**9), 20_000)
    assert not claim_holds(CLAIM, Fraction(1, 6) - Fraction(1, 10**9), 20_000)
    assert claim_holds(CLAIM, Fraction(1, 3), 10_000)  # tolerance 1: exact only
    with pytest.raises(ValueError, match="tolerance_bps must be an int >= 10000"):
        claim_holds(CLAIM, Fraction(1), 9_999)


def test_malformed_claims_are_named() -> None:
    for claim, message in [
        ("x", "a ratio claim is"),
        (("p", "a", "a", 1, 1), "same repo 'a'"),
        (("p", "a", "b", 0, 1), "num must be a positive int"),
        (("p", "", "b", 1, 1), "repo_a must be a non-empty str"),
    ]:
        with pytest.raises(ValueError, match=message):
            check_claim(claim)
