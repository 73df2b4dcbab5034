"""Bargaining: bilateral trade, bargaining solutions, alternating offers, Deal or No Deal.

The facade: import from here. One idea per module:

- ``solutions``: Nash, Kalai-Smorodinsky, utilitarian and egalitarian points of a finite
  set of utility pairs, exactly; its Pareto frontier.
- ``convex``: the same solutions on a convex set (a hull of points, or a frontier curve).
- ``rubinstein``: the alternating-offers equilibrium split (Rubinstein 1982; Ståhl 1972).
- ``deal_or_no_deal``: OpenSpiel's Deal-or-No-Deal instances: read, generate, analyse.
- ``mediation_rules``: the rules a :class:`~accord.contracts.mediator.Mediator` publishes
  at deployment, deciding in exact integer/fraction arithmetic.
"""

from __future__ import annotations

from accord.mechanisms.bargaining.convex import Frontier, Polygon
from accord.mechanisms.bargaining.deal_or_no_deal import (
    Analysis,
    Instance,
    InstanceError,
    analyse,
    generate,
    parse_instances,
    read_instances,
)
from accord.mechanisms.bargaining.mediation_rules import (
    BilateralRule,
    FiniteBargaining,
    MediationRule,
    Settlement,
    parse_rule,
)
from accord.mechanisms.bargaining.rubinstein import rubinstein, stahl
from accord.mechanisms.bargaining.solutions import (
    FiniteSolution,
    egalitarian,
    kalai_smorodinsky,
    nash,
    pareto_frontier,
    solve,
    utilitarian,
)

__all__ = [
    "Analysis",
    "BilateralRule",
    "FiniteBargaining",
    "FiniteSolution",
    "Frontier",
    "Instance",
    "InstanceError",
    "MediationRule",
    "Polygon",
    "Settlement",
    "analyse",
    "egalitarian",
    "generate",
    "kalai_smorodinsky",
    "nash",
    "pareto_frontier",
    "parse_instances",
    "parse_rule",
    "read_instances",
    "rubinstein",
    "solve",
    "stahl",
    "utilitarian",
]
