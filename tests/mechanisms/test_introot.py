"""Integer roots by Newton's method from above: exact, no float, bounded steps.

Pins ``accord/mechanisms/introot.py``: ``iroot`` is ``⌊x^{1/k}⌋`` for every size of
``x`` (checked against its definition), takes at most ``root_steps`` Newton steps, and
the 10^24-sized root that used to walk 10^8 unit steps from a float guess is immediate.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms import introot
from accord.mechanisms.introot import ceil_root, iroot, root_gas, root_steps


def newton_steps(x: int, k: int) -> int:
    """How many steps :func:`iroot`'s iteration takes (the same iteration, counted)."""
    r, steps = 1 << -(-x.bit_length() // k), 0
    while True:
        steps += 1
        y = ((k - 1) * r + x // r ** (k - 1)) // k
        if y >= r:
            return steps
        r = y


@settings(max_examples=400, deadline=None)
@given(
    x=st.one_of(st.integers(0, 10**6), st.integers(0, 2**4000)),
    k=st.one_of(st.integers(1, 12), st.integers(1, 520)),
)
def test_iroot_is_the_floor_root_within_its_step_bound(x: int, k: int) -> None:
    r = iroot(x, k)
    assert r**k <= x < (r + 1) ** k
    if x >= 2 and k > 1:
        assert newton_steps(x, k) <= root_steps(x, k)
    s = ceil_root(x, k)
    assert s**k >= x and (s == 0 or (s - 1) ** k < x)


def test_the_issues_weighted_deposit_root_is_exact_and_immediate() -> None:
    a, b = 10**24, 10**24 + 12345  # weights 80/20 reduce to 4/1: ⌊(a⁴·b)^{1/5}⌋
    x = a**4 * b
    r = iroot(x, 5)
    assert r**5 <= x < (r + 1) ** 5
    assert newton_steps(x, 5) <= 12  # the float-guess walk took ~10^8 unit steps
    assert root_gas(x, 5) > 0


def test_iroot_refuses_what_is_not_a_root_problem() -> None:
    with pytest.raises(ValueError):
        iroot(-1, 2)
    with pytest.raises(ValueError):
        iroot(5, 0)
    with pytest.raises(TypeError):
        iroot(2.0, 2)  # type: ignore[arg-type]
    assert [iroot(x, 3) for x in (0, 1, 7, 8, 26, 27)] == [0, 1, 1, 2, 2, 3]


def test_the_module_uses_no_float() -> None:
    tree = ast.parse(Path(introot.__file__).read_text())
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert sorted(imported) == ["__future__", "collections.abc"]  # no math, no decimal
    floats = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and type(n.value) is float]
    assert floats == []
    assert all(not (isinstance(n, ast.Name) and n.id == "float") for n in ast.walk(tree))
