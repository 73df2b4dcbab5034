"""Finite menus of contracts: the discretised space agents choose from.

Haupt et al. (2024, §5) let the proposer pick from a discretised contract space; the
two-stage protocol trains on contracts sampled from it. A *menu* is a tuple whose entry
0 is :data:`NO_CONTRACT` (``None``: play uncontracted) and whose other entries are
parameter tuples of one :class:`~accord.mechanisms.contracting.space.ContractSpace`, in
a fixed order (an agent's proposal action is an index into it).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

from accord.mechanisms.contracting.space import ContractError, ContractSpace, Params

__all__ = ["NO_CONTRACT", "Menu", "discretise", "grid", "normalised"]

NO_CONTRACT: None = None
"""Menu entry 0: no contract."""

Menu = tuple[Params | None, ...]
"""``(None, params_1, params_2, ...)``."""

MAX_MENU = 4096
"""Largest menu :func:`grid` builds (a proposal action space this large is unlearnable)."""


def grid(space: ContractSpace, *values: Sequence[int]) -> Menu:
    """The menu of every combination of the given values (one sequence per parameter,
    each checked against its bounds), first parameter slowest; duplicates and
    combinations equal to an earlier one are dropped."""
    if len(values) != space.arity:
        raise ContractError(f"{space.name} takes {space.arity} value list(s), got {len(values)}")
    size = 1
    for vs in values:
        size *= len(vs)
    if size > MAX_MENU:
        raise ContractError(f"menu of {size} entries exceeds {MAX_MENU}")
    entries: list[Params | None] = [NO_CONTRACT]
    seen: set[Params] = set()
    for combo in product(*values):
        params = space.check_params(tuple(combo))
        if params not in seen:
            seen.add(params)
            entries.append(params)
    return tuple(entries)


def discretise(space: ContractSpace, points: int | Sequence[int]) -> Menu:
    """``points`` evenly spaced integer values per parameter from its low to its high
    bound (``low + ⌊k·(high − low)/(points − 1)⌋``), combined as :func:`grid` does.
    ``points`` is one count for every parameter or one per parameter."""
    counts = [points] * space.arity if isinstance(points, int) else list(points)
    if len(counts) != space.arity:
        raise ContractError(f"{space.name} takes {space.arity} point count(s), got {len(counts)}")
    values: list[list[int]] = []
    for p, c in zip(space.params, counts, strict=True):
        if type(c) is not int or c < 1:
            raise ContractError(f"point count for {p.name} must be a positive int, got {c!r}")
        if c == 1 or p.low == p.high:
            values.append([p.low])
            continue
        span = p.high - p.low
        values.append(sorted({p.low + k * span // (c - 1) for k in range(c)}))
    return grid(space, *values)


def normalised(space: ContractSpace, params: Params | None) -> tuple[float, ...]:
    """``params`` scaled to ``[0, 1]`` by their bounds, for an observation (off-device
    floats); ``None`` (no contract) is all zeros."""
    if params is None:
        return (0.0,) * space.arity
    checked = space.check_params(params)
    return tuple(
        0.0 if p.high == p.low else (v - p.low) / (p.high - p.low)
        for p, v in zip(space.params, checked, strict=True)
    )
