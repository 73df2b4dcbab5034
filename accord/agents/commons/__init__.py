"""Fishers for the GovSim common-pool fishery (``accord.games.fishery``).

- ``view``: what a fisher sees (:class:`FisherView`), the quota :class:`Terms`, and the
  :class:`Fisher` protocol: one decision per call (catch, propose, accept). This is the
  API LLM fishers implement too.
- ``model``: the season model the scripted fishers and the planner reason with.
- ``scripted``: :class:`Greedy`, :class:`Sustainable`, :class:`TitForTat` and the
  contract-proposing :class:`Planner`.
- ``searcher``: :class:`SlackSearcher`, an outsider who harvests the slack before a
  round's close it sees in the mempool (MEV on contract settlements).
"""

from accord.agents.commons.model import best_response, deposit_for, season
from accord.agents.commons.scripted import Greedy, Planner, Sustainable, TitForTat, plan
from accord.agents.commons.searcher import SlackSearcher
from accord.agents.commons.view import PHASES, Fisher, FisherView, Terms

__all__ = [
    "PHASES",
    "Fisher",
    "FisherView",
    "Greedy",
    "Planner",
    "SlackSearcher",
    "Sustainable",
    "Terms",
    "TitForTat",
    "best_response",
    "deposit_for",
    "plan",
    "season",
]
