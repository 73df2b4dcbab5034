"""What a comparison and an action pattern mean: the resolver's exact tests.

* :func:`compare`: a state atom's ``lhs CMP value``, for ints, or for exact ratios
  ``(num, den)`` by cross-multiplication (no division, no float);
* :func:`action_matches`: whether an ``exists`` pattern's action pattern matches one of
  a pending commitment's actions (``docs/commitments.md`` §2).
"""

from __future__ import annotations

from accord.device.commitments.language import (
    SELF,
    Action,
    ActionPattern,
    Call,
    Cmp,
    JsonArg,
)


def compare(lhs: object, cmp: Cmp, value: int | tuple[int, int]) -> bool:
    """``lhs cmp value`` for ints, or for exact ratios ``(num, den)`` by cross-products."""
    if isinstance(value, tuple):
        if not (isinstance(lhs, tuple) and len(lhs) == 2):
            return False
        num, den = lhs
        if type(num) is not int or type(den) is not int or den <= 0:
            return False
        a, b = num * value[1], value[0] * den
    else:
        if type(lhs) is not int:
            return False
        a, b = lhs, value
    if cmp == "<":
        return a < b
    if cmp == "<=":
        return a <= b
    if cmp == "==":
        return a == b
    if cmp == "!=":
        return a != b
    if cmp == ">=":
        return a >= b
    return a > b


def _args_match(pattern: list[JsonArg], args: list[JsonArg]) -> bool:
    return len(pattern) == len(args) and all(
        p is None or p == a for p, a in zip(pattern, args, strict=True)
    )


def action_matches(pattern: ActionPattern, action: Action, asker: str) -> bool:
    """Whether ``action`` matches ``pattern``; ``$self`` in ``to`` means ``asker``."""
    if pattern.kind is not None and pattern.kind != action.kind:
        return False
    if pattern.to is not None and (asker if pattern.to == SELF else pattern.to) != action.to:
        return False
    if isinstance(action, Call):
        if pattern.method is not None and pattern.method != action.method:
            return False
        if pattern.asset is not None and pattern.asset not in action.value:
            return False
        if pattern.min_amount is not None and (
            pattern.asset is None or action.value.get(pattern.asset, 0) < pattern.min_amount
        ):
            return False
        if pattern.args is not None and not _args_match(pattern.args, action.args):
            return False
        if pattern.rate is not None:
            r = pattern.rate
            if max(r.num, r.den) >= len(action.args):
                return False
            num, den = action.args[r.num], action.args[r.den]
            if type(num) is not int or type(den) is not int or den <= 0:
                return False
            return compare((num, den), r.cmp, r.value)
        return True
    if pattern.method is not None or pattern.args is not None or pattern.rate is not None:
        return False
    if pattern.asset is not None and pattern.asset != action.asset:
        return False
    return pattern.min_amount is None or action.amount >= pattern.min_amount
