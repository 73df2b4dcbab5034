"""Fixed-point exp and ln: every interval holds the true value (150-digit decimal) and
is narrow; the constants are pinned to their known digits."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms import fixedpoint as fx

ONE = fx.ONE


def true_exp_neg(num: int, den: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 150
        return (-Decimal(num) / Decimal(den)).exp() * ONE


def true_ln(x: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 150
        return (Decimal(x) / ONE).ln() * ONE


def test_constants_hold_their_known_values() -> None:
    with localcontext() as ctx:  # full precision, whatever the global decimal context
        ctx.prec = 150
        check_constants()


def check_constants() -> None:
    # ln 2 = 0.69314718055994530941723212145817656807550013436025525412068…
    ln2 = Decimal("0.69314718055994530941723212145817656807550013436025525412068")
    lo, hi = fx.LN2
    assert lo <= ln2 * ONE <= hi
    assert hi - lo < 2**10  # about 2^-118 wide
    assert fx.exp_neg(0, 7) == (ONE, ONE)  # e^0 exactly
    assert fx.ln_int(1) == (0, 0)  # ln 1 exactly
    e_inv = Decimal("0.36787944117144232159552377016146086744581113103176783450783")
    lo, hi = fx.exp_neg(1, 1)
    assert lo <= e_inv * ONE <= hi


@settings(max_examples=400, deadline=None)
@given(
    num=st.integers(0, 10**40) | st.integers(0, 1000),
    den=st.integers(1, 10**40) | st.integers(1, 1000),
)
def test_exp_neg_interval_holds_the_truth(num: int, den: int) -> None:
    lo, hi = fx.exp_neg(num, den)
    assert 0 <= lo <= hi <= ONE
    assert lo <= true_exp_neg(num, den) <= hi
    assert hi - lo <= 1_000  # ulps: 2^-118 absolute


@settings(max_examples=400, deadline=None)
@given(x=st.integers(ONE, 2**20 * ONE) | st.integers(ONE, 2 * ONE))
def test_ln_interval_holds_the_truth(x: int) -> None:
    lo, hi = fx.ln((x, x))
    assert 0 <= lo <= true_ln(x) <= hi
    j = x.bit_length() - 1 - fx.FRAC_BITS
    assert hi - lo <= 300 * (1 + j)  # ulps


def test_exp_neg_far_tail_is_one_ulp() -> None:
    assert fx.exp_neg(101, 1) == (0, 1)
    assert fx.exp_neg(10**100, 3) == (0, 1)
    lo, hi = fx.exp_neg(100, 1)  # e^-100 ≈ 2^-144.3: below one ulp, still bracketed
    assert lo <= true_exp_neg(100, 1) <= hi <= 2


def test_ln_refuses_values_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        fx.ln((ONE - 1, ONE))


def test_cdiv_is_the_ceiling() -> None:
    assert [fx.cdiv(a, 3) for a in (-4, -3, -1, 0, 1, 3, 4)] == [-1, -1, 0, 0, 1, 1, 2]
