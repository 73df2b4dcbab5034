"""Bargaining agents: negotiators for Deal or No Deal, bidders for bilateral trade.

The facade: import from here.

- ``sao``: the off-device negotiation interface in NegMAS's SAO vocabulary
  (:class:`Negotiator`: ``propose(state)``, ``respond(state, offer)`` ->
  :class:`ResponseType`), its mapping to OpenSpiel's ``bargaining`` actions and the
  pure alternating-offers runner :func:`run_negotiation`.
- ``negotiators``: scripted negotiators: time-dependent concession (Boulware, Linear,
  Conceder), relative tit-for-tat and a Pareto-aware negotiator.
"""

from __future__ import annotations

from accord.agents.bargaining.bidders import (
    BIDDERS,
    Bidder,
    EquilibriumBidder,
    TruthfulBidder,
    make_bidder,
)
from accord.agents.bargaining.negotiators import (
    NEGOTIATORS,
    Boulware,
    Conceder,
    Linear,
    ParetoAware,
    TimeDependent,
    TitForTat,
)
from accord.agents.bargaining.sao import (
    NMI,
    NegotiationResult,
    Negotiator,
    Offer,
    ResponseType,
    SAOState,
    openspiel_actions,
    openspiel_steps,
    run_negotiation,
)

__all__ = [
    "BIDDERS",
    "NEGOTIATORS",
    "NMI",
    "Bidder",
    "Boulware",
    "Conceder",
    "EquilibriumBidder",
    "Linear",
    "NegotiationResult",
    "Negotiator",
    "Offer",
    "ParetoAware",
    "ResponseType",
    "SAOState",
    "TimeDependent",
    "TitForTat",
    "TruthfulBidder",
    "make_bidder",
    "openspiel_actions",
    "openspiel_steps",
    "run_negotiation",
]
