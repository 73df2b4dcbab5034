"""Escrow terms: conditions and timeouts as data, validated and evaluated without a device."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.mechanisms.escrow_terms import (
    TermsError,
    compare,
    evaluate,
    strict_equal,
    timed_out,
    validate_condition,
    validate_timeout,
)


def no_views(address: str, method: str, args: tuple[Any, ...]) -> Any:
    raise AssertionError("no view should be read")


def test_block_and_time_atoms() -> None:
    assert evaluate(("block", 5), 5, 0, no_views)
    assert not evaluate(("block", 5), 4, 0, no_views)
    assert evaluate(("time", 1_000), 0, 1_000, no_views)
    assert not evaluate(("time", 1_000), 99, 999, no_views)


def test_view_atom_reads_through_the_callback() -> None:
    seen: list[tuple[str, str, tuple[Any, ...]]] = []

    def read(address: str, method: str, args: tuple[Any, ...]) -> Any:
        seen.append((address, method, args))
        return 7

    assert evaluate(("view", "0xa", "price", (1, "x"), ">=", 7), 0, 0, read)
    assert not evaluate(("view", "0xa", "price", (), "<", 7), 0, 0, read)
    assert seen == [("0xa", "price", (1, "x")), ("0xa", "price", ())]


def test_all_any_short_circuit() -> None:
    assert evaluate(("all",), 0, 0, no_views)
    assert not evaluate(("any",), 0, 0, no_views)
    assert not evaluate(("all", ("block", 9), ("view", "0xa", "m", (), "==", 1)), 0, 0, no_views)
    assert evaluate(("any", ("block", 0), ("view", "0xa", "m", (), "==", 1)), 0, 0, no_views)


def test_compare_is_strict() -> None:
    assert compare("==", 1, 1) and not compare("==", True, 1) and not compare("==", 1, True)
    assert compare("!=", (1,), 1)
    assert compare("==", (1, (b"x", None)), (1, (b"x", None)))
    assert not compare("==", (1, (b"x", None)), (1, (b"x", 0)))
    assert not compare(">", "b", 1)  # ordering only between ints
    assert not compare("<=", True, 5)
    assert compare("<=", 5, 5) and compare(">", 6, 5) and compare("<", 4, 5)
    assert compare(">=", 5, 5)


@pytest.mark.parametrize(
    ("cond", "message"),
    [
        ("block", "must be a tuple starting with a kind"),
        ((), "must be a tuple starting with a kind"),
        (("later", 3), "unknown kind 'later'"),
        (("block",), "needs one non-negative int"),
        (("block", True), "needs one non-negative int"),
        (("time", -1), "needs one non-negative int"),
        (("view", "0xa", "m", (), "=="), "has 6 fields, got 5"),
        (("view", "", "m", (), "==", 1), "view address must be"),
        (("view", "0xa", "", (), "==", 1), "view method must be"),
        (("view", "0xa", "m", [1], "==", 1), "view args must be a tuple"),
        (("view", "0xa", "m", (), "=>", 1), "op must be one of"),
        (("view", "0xa", "m", (), ">", "1"), "compares ints"),
        (("view", "0xa", "m", (), "==", 1.5), "is not canonical"),
        (("all", ("block", 1), ("nope",)), r"condition\[2\]: unknown kind 'nope'"),
    ],
)
def test_bad_conditions_name_the_fault(cond: object, message: str) -> None:
    with pytest.raises(TermsError, match=message):
        validate_condition(cond)


def test_deep_nesting_is_refused() -> None:
    cond: tuple[Any, ...] = ("block", 1)
    for _ in range(10):
        cond = ("all", cond)
    with pytest.raises(TermsError, match="nested more than 8"):
        validate_condition(cond)


def test_timeouts() -> None:
    assert validate_timeout(("block", 3)) == ("block", 3)
    assert timed_out(("block", 3), 3, 0) and not timed_out(("block", 3), 2, 10**9)
    assert timed_out(("time", 100), 0, 100) and not timed_out(("time", 100), 10**9, 99)
    for bad in (("block", -1), ("slot", 3), ("block",), ["block", 3], ("time", "3")):
        with pytest.raises(TermsError, match="timeout must be"):
            validate_timeout(bad)


leaf = st.one_of(st.integers(), st.booleans(), st.text(max_size=3), st.none())
values = st.recursive(leaf, lambda inner: st.lists(inner, max_size=3).map(tuple), max_leaves=8)


@given(values, values)
def test_strict_equal_is_equality_on_same_types(a: Any, b: Any) -> None:
    assert strict_equal(a, a)
    if strict_equal(a, b):
        assert a == b and repr(a) == repr(b)
    assert compare("==", a, b) != compare("!=", a, b)
