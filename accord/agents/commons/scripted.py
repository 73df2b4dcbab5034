"""Scripted fishers: greedy, sustainable, tit-for-tat, and the contract-proposing planner.

Every one answers the three decisions of :class:`~accord.agents.commons.view.Fisher`.
Under a quota contract whose penalty deters (:func:`~accord.agents.commons.model.best_response`
returns the quota) each caps its ask at the quota: the contract binds because breaking
it does not pay, not because the fisher is told to obey. Each accepts a proposal iff the
season model (:func:`~accord.agents.commons.model.season`) gives it at least as much
under the terms as without a contract.

* :class:`Greedy`: the myopic best response: the whole stock, or the quota when deterred.
* :class:`Sustainable`: the sustainability threshold shown (its share of the catch that
  keeps the stock), at most the quota.
* :class:`TitForTat`: the threshold in round 1, then the others' mean catch of the
  previous round (rounded down), at most the quota when deterred.
* :class:`Planner`: catches as :class:`Sustainable`; proposes the welfare-maximising
  contract of the menu that every party accepts (:func:`plan`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from accord.agents.commons import model
from accord.agents.commons.view import FisherView, Terms
from accord.mechanisms import commons as M
from accord.mechanisms.contracting import best_contract

__all__ = ["Greedy", "Planner", "Sustainable", "TitForTat", "commons_of", "plan"]


def commons_of(view: FisherView) -> M.Commons:
    """The fishery's constants as the view states them, from the view's round on (the
    model plans the rest of the season from the current stock)."""
    return M.Commons(
        fishers=len(view.fishers),
        capacity=view.capacity,
        initial=view.stock,
        growth=view.growth,
        collapse_below=view.collapse_below,
        rounds=max(1, view.rounds - view.round + 1),
    )


def _capped(view: FisherView, ask: int) -> int:
    """``ask`` capped at the quota when the contract in force deters exceeding it."""
    terms = view.contract
    if terms is not None and model.best_response(view.stock, terms) <= terms.quota:
        return min(ask, terms.quota)
    return ask


def _accept(view: FisherView, terms: Terms) -> bool:
    c = commons_of(view)
    me = view.fishers.index(view.fisher)
    return model.season(c, terms)[me] >= model.season(c, None)[me]


def plan(c: M.Commons, menu: Sequence[Terms]) -> Terms | None:
    """The contract of ``menu`` with the largest modelled welfare among those that leave
    every party at least as well off as no contract, if it beats no contract (ties: menu
    order): :func:`accord.mechanisms.contracting.best_contract` over ``(None, *menu)``
    with :func:`~accord.agents.commons.model.season` as the evaluation. ``None`` if none
    does."""
    entries: tuple[Terms | None, ...] = (None, *menu)
    return entries[best_contract(entries, lambda terms: model.season(c, terms))]


@dataclass
class Greedy:
    """Asks for the whole stock unless a contract deters it (module docstring)."""

    name: str

    def catch(self, view: FisherView) -> int:
        return model.best_response(view.stock, view.contract)

    def propose(self, view: FisherView) -> Terms | None:
        return None

    def accept(self, view: FisherView, terms: Terms) -> bool:
        return _accept(view, terms)


@dataclass
class Sustainable:
    """Takes the sustainability threshold shown, at most the quota."""

    name: str

    def catch(self, view: FisherView) -> int:
        ask = view.threshold
        return min(ask, view.contract.quota) if view.contract is not None else ask

    def propose(self, view: FisherView) -> Terms | None:
        return None

    def accept(self, view: FisherView, terms: Terms) -> bool:
        return _accept(view, terms)


@dataclass
class TitForTat:
    """The threshold first, then the others' mean last catch (module docstring)."""

    name: str

    def catch(self, view: FisherView) -> int:
        others = view.others_last
        ask = view.threshold if not others else sum(others.values()) // len(others)
        return _capped(view, min(ask, view.stock))

    def propose(self, view: FisherView) -> Terms | None:
        return None

    def accept(self, view: FisherView, terms: Terms) -> bool:
        return _accept(view, terms)


@dataclass
class Planner(Sustainable):
    """Proposes the welfare-maximising contract all accept (:func:`plan`)."""

    def propose(self, view: FisherView) -> Terms | None:
        return plan(commons_of(view), view.menu)
