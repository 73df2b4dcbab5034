"""An LLM fisher in the fishery's seat: the fishery's decision API, answered by a model.

The fishery (:mod:`accord.games.fishery_session`) asks a fisher one decision per call
through the :class:`accord.agents.commons.Fisher` protocol: ``catch(view) -> int``,
``propose(view) -> Terms | None``, ``accept(view, terms) -> bool``. :class:`LLMFisherSeat`
answers each with one checked model decision (:class:`~accord.agents.llm.fishery.LLMFisher`:
schema, check, retries, budgets, record/replay), translating the fishery's
:class:`~accord.agents.commons.FisherView` into the vocabulary's
:class:`~accord.agents.llm.fishery.Situation` and the chosen menu option back into the
fishery's :class:`~accord.agents.commons.Terms`.

**The conversation.** Every answer carries a short message to the others (GovSim's
talk after each month). Messages are held until the decisions they could sway are
made, then revealed to everyone (:class:`Conversation`): what a fisher says while
choosing its catch is shown after the month closes (the catches are simultaneous, as
in GovSim's concurrent harvest), and a vote's message after the vote. The proposer's
message is shown with its proposal. A message is data: nothing in it reaches the device.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accord.agents.commons.view import FisherView, Terms
from accord.agents.llm import fishery as vocab
from accord.agents.llm.fishery import LLMFisher, Situation
from accord.mechanisms import commons as M

__all__ = ["Conversation", "LLMFisherSeat"]


@dataclass
class Conversation:
    """What the fishers have said: ``shown`` to everyone, ``held`` until :meth:`reveal`."""

    shown: list[tuple[str, str]] = field(default_factory=list)
    held: list[tuple[str, str]] = field(default_factory=list)

    def say(self, who: str, message: str, *, now: bool = False) -> None:
        if message:
            (self.shown if now else self.held).append((who, message))

    def reveal(self) -> None:
        self.shown += self.held
        self.held = []


@dataclass
class LLMFisherSeat:
    """A :class:`~accord.agents.commons.Fisher` whose decisions an LLM makes."""

    llm: LLMFisher
    episode: int
    conversation: Conversation
    show_threshold: bool = True
    asks: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.llm.name

    # -- the fishery's three decisions ---------------------------------------------------
    def catch(self, view: FisherView) -> int:
        decision = self.llm.catch(self.situation(view))
        self.conversation.say(self.name, decision.message)
        self.asks.append(decision.tons)
        return decision.tons

    def propose(self, view: FisherView) -> Terms | None:
        decision = self.llm.propose(self.situation(view))
        terms = view.menu[decision.option - 1] if decision.option else None
        self.conversation.say(self.name, decision.message, now=terms is not None)
        return terms

    def accept(self, view: FisherView, terms: Terms) -> bool:
        decision = self.llm.vote(self.situation(view, terms))
        self.conversation.say(self.name, decision.message)
        return decision.accept

    # -- the translation -----------------------------------------------------------------
    def situation(self, view: FisherView, proposed: Terms | None = None) -> Situation:
        """The vocabulary's situation for ``view`` (``proposed``: the terms voted on)."""
        if view.fisher != self.name:
            raise ValueError(f"{self.name} was shown {view.fisher}'s view")
        menu = (None, *(vocab.Terms(t.quota, t.penalty, t.deposit) for t in view.menu))
        proposal = proposed if proposed is not None else view.proposal
        sustainable = None
        if self.show_threshold:
            c = M.Commons(len(view.fishers), view.capacity, 0, view.growth, view.collapse_below)
            sustainable = M.threshold_total(c, min(view.stock, view.capacity))
        voted = None
        if proposal is not None:
            option = _option(view.menu, proposal)
            assert option is not None
            voted = (view.proposer, option)
        return Situation(
            episode=self.episode,
            fisher=view.fisher,
            fishers=view.fishers,
            month=view.round,
            months=view.rounds,
            stock=view.stock,
            capacity=view.capacity,
            collapse_below=view.collapse_below,
            menu=menu,
            contract=_option(view.menu, view.contract),
            proposal=voted,
            last_catches=tuple(view.last_catches.items()),
            conversation=tuple(self.conversation.shown),
            income=view.caught,
            sustainable=sustainable,
        )


def _option(menu: tuple[Terms, ...], terms: Terms | None) -> int | None:
    """The vocabulary's option number of ``terms`` (1 + its place on the fishery's menu,
    which has no "no contract" entry)."""
    if terms is None:
        return None
    if terms not in menu:
        raise ValueError(f"{terms} is not on the menu")
    return 1 + menu.index(terms)
