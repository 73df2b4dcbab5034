"""Integer ranges as grammars: exactly the integers within the bounds, written as JSON."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.agents.llm.local.grammar import Grammar
from accord.agents.llm.local.integers import OPEN_DIGITS, RangeError, integer_range

bounds = st.one_of(st.none(), st.integers(-(10**7), 10**7))


def _matcher(low: int | None, high: int | None) -> re.Pattern[str]:
    return re.compile(Grammar(integer_range(low, high)).regex())


@settings(deadline=None)
@given(bounds, bounds, st.lists(st.integers(-(10**8), 10**8), min_size=1, max_size=40))
def test_a_range_accepts_exactly_its_integers(low, high, probes):
    if low is not None and high is not None and low > high:
        low, high = high, low
    m = _matcher(low, high)
    near = [b + d for b in (low, high) if b is not None for d in (-1, 0, 1)]
    for n in [*probes, *near, 0, -1, 1]:
        inside = (low is None or n >= low) and (high is None or n <= high)
        assert bool(m.fullmatch(str(n))) == inside, (low, high, n)


@settings(deadline=None)
@given(bounds, bounds)
def test_no_leading_zero_no_minus_zero_no_plus(low, high):
    if low is not None and high is not None and low > high:
        low, high = high, low
    m = _matcher(low, high)
    for text in ("-0", "00", "01", "+1", "1.0", "1e3", " 1", ""):
        assert not m.fullmatch(text)


def test_an_open_side_is_held_to_18_digits():
    m = _matcher(0, None)
    assert m.fullmatch("9" * OPEN_DIGITS)
    assert not m.fullmatch("1" + "0" * OPEN_DIGITS)
    assert _matcher(None, None).fullmatch("-" + "9" * OPEN_DIGITS)


def test_a_written_bound_beyond_18_digits_is_kept_exactly():
    big = 10**25 + 7
    m = _matcher(big - 3, big)
    assert m.fullmatch(str(big)) and m.fullmatch(str(big - 3))
    assert not m.fullmatch(str(big + 1)) and not m.fullmatch(str(big - 4))


def test_the_example_of_the_docstring():
    assert Grammar(integer_range(13, 247)).gbnf().startswith('root ::= "1" [3-9] | [2-9] [0-9]')


@pytest.mark.parametrize(("low", "high"), [(5, 4), (10**41, None), (None, -(10**41))])
def test_empty_or_huge_ranges_are_refused(low, high):
    with pytest.raises(RangeError):
        integer_range(low, high)
