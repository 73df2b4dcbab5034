"""Escrow terms as data: release conditions and timeouts, validated and evaluated purely.

A deal's terms must be *inspectable*: anyone can read, before relying on a deal, exactly
when its funds move. So a condition is a small tuple, not code:

* ``("block", n)``: true once the block number is at least ``n``;
* ``("time", ms)``: true once the block timestamp (ms) is at least ``ms``;
* ``("view", address, method, args, op, expected)``: the result of a read-only call of
  a contract's public ``method(*args)`` compared with ``expected`` by ``op``, one of
  ``== != < <= > >=`` (the ordering ones on ints only). The escrow evaluates the call
  at release time with every write undone (a static call, as the EVM's STATICCALL);
* ``("all", c1, c2, ...)`` and ``("any", c1, c2, ...)``: conjunction and disjunction
  (``("all",)`` is true, ``("any",)`` false).

A timeout is ``("block", n)`` or ``("time", ms)``; it has passed once the block number
(or timestamp) is at least ``n``. The same ``≥`` rule as the conditions, so "at block
``n``" means the same thing everywhere.

This module never imports the device: evaluating a ``view`` atom is the caller's job,
passed in as ``read_view(address, method, args)``. Equality is *strict*: ``True`` is not
``1`` and ``(1,)`` is not ``1``, because a bool returned where an int was expected is a
sign that the condition names the wrong view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Condition = tuple[Any, ...]
Timeout = tuple[str, int]
ViewReader = Callable[[str, str, tuple[Any, ...]], Any]

OPS = ("==", "!=", "<", "<=", ">", ">=")
_ATOMS = (int, str, bool, bytes, type(None))


class TermsError(ValueError):
    """A condition or timeout that is not well formed; the message names the fault."""


def _is_int(x: object) -> bool:
    return type(x) is int


def _is_canonical(x: object) -> bool:
    if type(x) in _ATOMS:
        return True
    return type(x) is tuple and all(_is_canonical(i) for i in x)


def validate_condition(cond: object, *, where: str = "condition", depth: int = 0) -> Condition:
    """``cond`` if it is a well-formed condition; :class:`TermsError` naming the fault."""
    if depth > 8:
        raise TermsError(f"{where}: nested more than 8 levels deep")
    if type(cond) is not tuple or not cond or type(cond[0]) is not str:
        raise TermsError(f"{where}: must be a tuple starting with a kind, got {cond!r}")
    kind = cond[0]
    if kind in ("block", "time"):
        if len(cond) != 2 or not _is_int(cond[1]) or cond[1] < 0:
            raise TermsError(f"{where}: ({kind!r}, n) needs one non-negative int, got {cond!r}")
    elif kind == "view":
        if len(cond) != 6:
            raise TermsError(
                f"{where}: ('view', address, method, args, op, expected) has 6 fields, "
                f"got {len(cond)}"
            )
        _, address, method, args, op, expected = cond
        if type(address) is not str or not address:
            raise TermsError(f"{where}: view address must be a non-empty str, got {address!r}")
        if type(method) is not str or not method:
            raise TermsError(f"{where}: view method must be a non-empty str, got {method!r}")
        if type(args) is not tuple or not _is_canonical(args):
            raise TermsError(f"{where}: view args must be a tuple of canonical values")
        if op not in OPS:
            raise TermsError(f"{where}: op must be one of {' '.join(OPS)}, got {op!r}")
        if not _is_canonical(expected):
            raise TermsError(f"{where}: expected value {expected!r} is not canonical")
        if op in ("<", "<=", ">", ">=") and not _is_int(expected):
            raise TermsError(f"{where}: op {op} compares ints, expected is {expected!r}")
    elif kind in ("all", "any"):
        for i, sub in enumerate(cond[1:]):
            validate_condition(sub, where=f"{where}[{i + 1}]", depth=depth + 1)
    else:
        raise TermsError(
            f"{where}: unknown kind {kind!r} (use 'block', 'time', 'view', 'all' or 'any')"
        )
    return cond


def validate_timeout(timeout: object) -> Timeout:
    """``timeout`` if it is ``("block", n)`` or ``("time", ms)`` with ``n ≥ 0``."""
    if (
        type(timeout) is not tuple
        or len(timeout) != 2
        or timeout[0] not in ("block", "time")
        or not _is_int(timeout[1])
        or timeout[1] < 0
    ):
        raise TermsError(
            f"timeout must be ('block', n) or ('time', ms) with a non-negative int, got {timeout!r}"
        )
    return timeout


def timed_out(timeout: Timeout, block: int, timestamp: int) -> bool:
    """Whether the deadline has passed at this block: ``now ≥ deadline``."""
    kind, at = timeout
    return (block if kind == "block" else timestamp) >= at


def strict_equal(a: object, b: object) -> bool:
    """Equality that tells ``True`` from ``1`` and walks tuples."""
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def compare(op: str, left: object, right: object) -> bool:
    """``left op right``; ordering ops are false unless both sides are ints."""
    if op == "==":
        return strict_equal(left, right)
    if op == "!=":
        return not strict_equal(left, right)
    if not (_is_int(left) and _is_int(right)):
        return False
    lv: int = left  # type: ignore[assignment]
    rv: int = right  # type: ignore[assignment]
    if op == "<":
        return lv < rv
    if op == "<=":
        return lv <= rv
    if op == ">":
        return lv > rv
    if op == ">=":
        return lv >= rv
    raise TermsError(f"unknown op {op!r}")


def evaluate(cond: Condition, block: int, timestamp: int, read_view: ViewReader) -> bool:
    """Whether a (validated) condition holds now. ``read_view`` performs the static call
    and may raise to signal that the view itself failed; the exception propagates.
    ``all``/``any`` short-circuit left to right, so later views are not read needlessly.
    """
    kind = cond[0]
    if kind == "block":
        return block >= cond[1]  # type: ignore[no-any-return]
    if kind == "time":
        return timestamp >= cond[1]  # type: ignore[no-any-return]
    if kind == "view":
        _, address, method, args, op, expected = cond
        return compare(op, read_view(address, method, args), expected)
    if kind == "all":
        return all(evaluate(c, block, timestamp, read_view) for c in cond[1:])
    if kind == "any":
        return any(evaluate(c, block, timestamp, read_view) for c in cond[1:])
    raise TermsError(f"unknown condition kind {kind!r}")
