"""The contract planner: the welfare-maximising contract that every party accepts.

Haupt et al. (2024, §3) note that a proposer who may offer any contract of a space can
pick the one that maximises the sum of payoffs subject to each party preferring it to no
contract (so that all accept): the contract then implements the welfare optimum the
space reaches. Over a finite menu this is a search:

    best = argmax_{k : u_i(k) ≥ u_i(0) ∀i}  Σ_i u_i(k)

with ``u(k)`` the parties' payoffs under menu entry ``k`` (entry 0: no contract, which
always qualifies) and ties broken by menu order (the first wins). The payoffs come from
a caller's ``evaluate``: a closed form, an equilibrium of the contracted game, or a
simulation of scripted play. Pass exact numbers (ints, ``Fraction``) where ties matter:
floats are compared as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import TypeVar, Union

from accord.mechanisms.contracting.space import ContractError

__all__ = ["best_contract"]

E = TypeVar("E")
Payoff = Union[int, float, Fraction]  # noqa: UP007  (a runtime alias)
"""A payoff: exact (int, Fraction) or a float."""


def best_contract(menu: Sequence[E], evaluate: Callable[[E], Sequence[Payoff]]) -> int:
    """The index of the menu entry that maximises welfare among those every party
    weakly prefers to ``menu[0]`` (module docstring); 0 if none beats no contract."""
    if len(menu) == 0:
        raise ContractError("the menu is empty: entry 0 must be 'no contract'")
    base = tuple(evaluate(menu[0]))
    n = len(base)
    if n == 0:
        raise ContractError("evaluate returned no payoffs for menu entry 0")
    best, best_welfare = 0, sum(base)
    for k in range(1, len(menu)):
        payoffs = tuple(evaluate(menu[k]))
        if len(payoffs) != n:
            raise ContractError(
                f"evaluate returned {len(payoffs)} payoffs for entry {k}, expected {n}"
            )
        if all(u >= b for u, b in zip(payoffs, base, strict=True)):
            welfare = sum(payoffs)
            if welfare > best_welfare:
                best, best_welfare = k, welfare
    return best
