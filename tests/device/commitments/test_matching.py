"""Comparisons and action patterns (``accord/device/commitments/matching.py``): exact, and
false on values of the wrong kind rather than an error."""

from __future__ import annotations

import operator
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.device.commitments.build import action_pattern, call, transfer
from accord.device.commitments.matching import action_matches, compare

OPS = {
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    ">": operator.gt,
}
cmps = st.sampled_from(sorted(OPS))
big = st.integers(-(10**30), 10**30)


@settings(max_examples=200, deadline=None)
@given(lhs=big, cmp=cmps, value=big)
def test_ints_compare_as_python_ints(lhs: int, cmp: str, value: int) -> None:
    assert compare(lhs, cmp, value) is OPS[cmp](lhs, value)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(
    num=big,
    den=st.integers(1, 10**30),
    cmp=cmps,
    p=big,
    q=st.integers(1, 10**30),
)
def test_ratios_compare_exactly_as_fractions(num: int, den: int, cmp: str, p: int, q: int) -> None:
    expected = OPS[cmp](Fraction(num, den), Fraction(p, q))
    assert compare((num, den), cmp, (p, q)) is expected  # type: ignore[arg-type]


@given(
    lhs=st.one_of(
        st.booleans(),
        st.floats(allow_nan=True),
        st.text(max_size=3),
        st.none(),
        st.tuples(big, st.integers(-5, 0)),  # a denominator that is not positive
        st.tuples(st.booleans(), st.integers(1, 5)),
        st.tuples(big),
        st.lists(big, min_size=2, max_size=2),
    ),
    cmp=cmps,
)
def test_a_value_of_the_wrong_kind_is_false(lhs: Any, cmp: str) -> None:
    if (isinstance(lhs, tuple) and len(lhs) == 2) or isinstance(lhs, list):
        assert compare(lhs, cmp, (1, 1)) is False  # type: ignore[arg-type]
    assert compare(lhs, cmp, 1) is False  # type: ignore[arg-type]


def test_action_patterns() -> None:
    pay = transfer("USD", "bob", 50)
    swap = call("pool", "swap", "A", 100, 150, "alice", value={"A": 100})
    assert action_matches(action_pattern(kind="transfer", asset="USD", min_amount=50), pay, "x")
    assert not action_matches(action_pattern(kind="transfer", min_amount=51, asset="USD"), pay, "x")
    assert action_matches(action_pattern(to="$self"), pay, "bob")  # $self is the asker
    assert not action_matches(action_pattern(to="$self"), pay, "carol")
    assert not action_matches(action_pattern(method="swap"), pay, "x")  # a transfer has none
    assert action_matches(action_pattern(method="swap", args=["A", None, None]), swap, "x") is False
    assert action_matches(action_pattern(method="swap", args=["A", None, 150, None]), swap, "x")
    # args[2] / args[1] = 150 / 100 >= 3 / 2, not > 3 / 2
    assert action_matches(action_pattern(rate=(2, 1, ">=", (3, 2))), swap, "x")
    assert not action_matches(action_pattern(rate=(2, 1, ">", (3, 2))), swap, "x")
    assert not action_matches(action_pattern(rate=(2, 9, ">=", (0, 1))), swap, "x")  # no arg 9
    assert not action_matches(action_pattern(rate=(0, 1, ">=", (0, 1))), swap, "x")  # "A" not int
    assert action_matches(action_pattern(asset="A", min_amount=100), swap, "x")
    assert not action_matches(action_pattern(asset="A", min_amount=101), swap, "x")
