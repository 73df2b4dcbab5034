"""Formal contracts in social dilemmas: contract spaces, transfer rules, settlement and
the planner, in exact integers.

After Haupt, Christoffersen, Damani & Hadfield-Menell, "Formal Contracts Mitigate Social
Dilemmas in Multi-Agent RL" (AAMAS journal, 2024): a contract is a member of a
parameterised space of zero-sum transfer rules over observable features; the device
contract :mod:`accord.contracts.formal_contract` enforces it from locked deposits. See
``docs/contracts/formal_contract.md`` and ``docs/social-dilemmas.md``.

- ``space``: :class:`ContractSpace`, the rules' names and the issue's spaces.
- ``rules``: :func:`transfers`, the exact :func:`split` and :func:`max_owed` (deposit sizing).
- ``settlement``: :func:`settle_step` (deposits, fees, exhaustion), :func:`settle_steps`
  (several at once), :func:`payments` and :func:`flows` (ledger moves).
- ``menu``: finite menus (entry 0 = no contract) and :func:`normalised` parameters.
- ``planner``: :func:`best_contract`.
"""

from accord.mechanisms.contracting.menu import NO_CONTRACT, Menu, discretise, grid, normalised
from accord.mechanisms.contracting.planner import best_contract
from accord.mechanisms.contracting.rules import max_owed, net_of, split, transfers
from accord.mechanisms.contracting.settlement import (
    Batch,
    Book,
    Settlement,
    flows,
    payments,
    settle_step,
    settle_steps,
)
from accord.mechanisms.contracting.space import (
    DEFECTOR_PAYS,
    MAX_FEATURE,
    MAX_PARAM,
    MAX_PARTIES,
    OVER_THRESHOLD,
    PER_UNIT_RECEIVED,
    RULES,
    UNILATERAL,
    ContractError,
    ContractSpace,
    Param,
    Params,
    cleanup_space,
    fishery_space,
    harvest_space,
    matrix_space,
    unilateral_space,
)

__all__ = [
    "DEFECTOR_PAYS",
    "MAX_FEATURE",
    "MAX_PARAM",
    "MAX_PARTIES",
    "NO_CONTRACT",
    "OVER_THRESHOLD",
    "PER_UNIT_RECEIVED",
    "RULES",
    "UNILATERAL",
    "Batch",
    "Book",
    "ContractError",
    "ContractSpace",
    "Menu",
    "Param",
    "Params",
    "Settlement",
    "best_contract",
    "cleanup_space",
    "discretise",
    "fishery_space",
    "flows",
    "grid",
    "harvest_space",
    "matrix_space",
    "max_owed",
    "net_of",
    "normalised",
    "payments",
    "settle_step",
    "settle_steps",
    "split",
    "transfers",
    "unilateral_space",
]
