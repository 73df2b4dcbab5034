"""Scripted players of the matrix dilemmas (``docs/social-dilemmas.md``, "Matrix dilemmas").

- ``strategies``: what a player sees before a round (:class:`RoundView`) and the
  scripted strategies: :class:`AlwaysDefect`, :class:`Cooperator`, :class:`TitForTat`
  and :class:`Greedy` (a myopic best response under the contract in force).
  The common acceptance rule is :func:`contract_value` (individual rationality in the
  worst equilibrium).
- ``planner``: :class:`Planner`, who proposes the welfare-maximising contract every
  player accepts (:func:`~accord.mechanisms.contracting.best_contract`); the registry
  :data:`STRATEGIES` and :func:`make_strategy`.
"""

from accord.agents.dilemmas.planner import (
    STRATEGIES,
    Planner,
    make_strategy,
    planner_choice,
    stake_choice,
)
from accord.agents.dilemmas.strategies import (
    AlwaysDefect,
    Cooperator,
    Greedy,
    RoundView,
    Strategy,
    TitForTat,
    contract_value,
)

__all__ = [
    "STRATEGIES",
    "AlwaysDefect",
    "Cooperator",
    "Greedy",
    "Planner",
    "RoundView",
    "Strategy",
    "TitForTat",
    "contract_value",
    "make_strategy",
    "planner_choice",
    "stake_choice",
]
