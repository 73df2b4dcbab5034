"""Bargaining: bilateral trade, bargaining solutions, alternating offers, Deal or No Deal.

The facade: import from here. One idea per module:

- ``priors``: :class:`UniformPrior` and :class:`DensityPrior` (a density and its CDF as
  callables), with virtual values and costs.
- ``bilateral``: bilateral trade's six mechanisms (:class:`KDoubleAuction`,
  :class:`PostedPrice`, :class:`SecondBest`, :class:`FirstBest`, :class:`VCG`,
  :class:`AGV`), frozen specs that ``bind`` to priors as a :class:`Rule`
  (``bilateral_rule``; the rules are in ``bilateral_auction``, ``bilateral_efficient``
  and ``bilateral_second_best``); :func:`expected_outcome` by quadrature
  (``bilateral_outcome``), :func:`simulate` draw by draw (``bilateral_sim``), and
  :func:`check_properties`: IC, IR and BB measured on a type grid (``bilateral_checks``).
- ``solutions``: Nash, Kalai-Smorodinsky, utilitarian and egalitarian points of a finite
  set of utility pairs, exactly; its Pareto frontier.
- ``convex``: the same solutions on a convex set (a hull of points, or a frontier curve).
- ``rubinstein``: the alternating-offers equilibrium split (Rubinstein 1982; Ståhl 1972).
- ``deal_or_no_deal``: OpenSpiel's Deal-or-No-Deal instances: read, generate, analyse.
- ``mediation_rules``: the rules a :class:`~accord.contracts.mediator.Mediator` publishes
  at deployment, deciding in exact integer/fraction arithmetic.
"""

from __future__ import annotations

from accord.mechanisms.bargaining.bilateral import (
    AGV,
    MECHANISMS,
    VCG,
    FirstBest,
    KDoubleAuction,
    Mechanism,
    PostedPrice,
    SecondBest,
    bind,
)
from accord.mechanisms.bargaining.bilateral_auction import (
    LinearEquilibrium,
    best_posted_price,
    linear_equilibrium,
    posted_price_gains,
)
from accord.mechanisms.bargaining.bilateral_checks import Properties, check_properties
from accord.mechanisms.bargaining.bilateral_outcome import Outcome, expected_outcome
from accord.mechanisms.bargaining.bilateral_rule import Rule
from accord.mechanisms.bargaining.bilateral_second_best import second_best_weight
from accord.mechanisms.bargaining.bilateral_sim import Simulated, simulate
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
from accord.mechanisms.bargaining.priors import DensityPrior, Prior, UniformPrior
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
    "AGV",
    "MECHANISMS",
    "VCG",
    "Analysis",
    "BilateralRule",
    "DensityPrior",
    "FiniteBargaining",
    "FiniteSolution",
    "FirstBest",
    "Frontier",
    "Instance",
    "InstanceError",
    "KDoubleAuction",
    "LinearEquilibrium",
    "Mechanism",
    "MediationRule",
    "Outcome",
    "Polygon",
    "PostedPrice",
    "Prior",
    "Properties",
    "Rule",
    "SecondBest",
    "Settlement",
    "Simulated",
    "UniformPrior",
    "analyse",
    "best_posted_price",
    "bind",
    "check_properties",
    "egalitarian",
    "expected_outcome",
    "generate",
    "kalai_smorodinsky",
    "linear_equilibrium",
    "nash",
    "pareto_frontier",
    "parse_instances",
    "parse_rule",
    "posted_price_gains",
    "read_instances",
    "rubinstein",
    "second_best_weight",
    "simulate",
    "solve",
    "stahl",
    "utilitarian",
]
