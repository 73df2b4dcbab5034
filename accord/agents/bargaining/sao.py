"""An off-device negotiation interface in NegMAS's SAO vocabulary, and its runner.

Researchers bring their own negotiators. The interface is the one of NegMAS's Stacked
Alternating Offers protocol (Mohammad et al., "NegMAS: A Platform for Situated
Negotiations", 2019; ``negmas.sao``): a negotiator is told the negotiation's terms
(:class:`NMI`, NegMAS's negotiator-mechanism interface) when it starts, then is asked in
turn to

* ``propose(state) -> outcome``: make an offer, and
* ``respond(state, offer) -> ResponseType``: ``ACCEPT_OFFER``, ``REJECT_OFFER`` (the
  responder then proposes next) or ``END_NEGOTIATION`` (both get the disagreement value).

:class:`SAOState` carries what NegMAS's ``SAOState`` does that a negotiator needs:
``step``, ``n_steps``, ``relative_time = step / n_steps``, the ``current_offer`` and its
``current_proposer``, and the offers so far. An outcome is a Deal-or-No-Deal division
(:data:`accord.mechanisms.bargaining.deal_or_no_deal.Division`): the quantities
**player 0** receives; it means the same to both players, as NegMAS outcomes do.

**OpenSpiel's ``bargaining`` game** maps onto this one to one. OpenSpiel's action ``k <
120`` by player ``p`` is the offer "``p`` keeps ``OFFERS[k]``", i.e. the division
``OFFERS[k]`` if ``p = 0`` and ``pool - OFFERS[k]`` if ``p = 1``
(:func:`~accord.mechanisms.bargaining.deal_or_no_deal.offer_action` is the inverse);
action 120 ("agree") is ``ACCEPT_OFFER``; a new offer is ``REJECT_OFFER`` followed by
``propose``. OpenSpiel has no ``END_NEGOTIATION``. OpenSpiel ends after ``max_turns``
offers and its last offer cannot be accepted, so its default ``max_turns = 10`` equals
``n_steps = 9`` here (:func:`openspiel_steps`); :func:`openspiel_actions` turns a trace
into OpenSpiel's action list.

:func:`run_negotiation` is the pure, fast runner used by the tests and the PettingZoo env
(``accord.envs.bargaining_v0``); on the device the same negotiators drive the
``deal_or_no_deal`` game, where each offer is a conditional commitment.

Hostile negotiators. Whatever a negotiator returns is checked: an offer that is not a
division of the pool, or a response that is not a :class:`ResponseType`, ends the
negotiation with no agreement, the disagreement value for both, and the reason recorded
(``ended_by``); it never raises. An exception a negotiator raises is its own bug and
propagates.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from accord.mechanisms.bargaining.deal_or_no_deal import (
    AGREE,
    MAX_TURNS,
    Division,
    Instance,
    offer_action,
)

__all__ = [
    "NMI",
    "NegotiationResult",
    "Negotiator",
    "Offer",
    "ResponseType",
    "SAOState",
    "openspiel_actions",
    "openspiel_steps",
    "run_negotiation",
]

MAX_STEPS = 10_000
"""A negotiation longer than this is refused (the runner's loop is bounded)."""


class ResponseType(enum.Enum):
    """A responder's answer, as NegMAS names it (``negmas.gb.common.ResponseType``)."""

    ACCEPT_OFFER = 0
    REJECT_OFFER = 1
    END_NEGOTIATION = 2


@dataclass(frozen=True, slots=True)
class Offer:
    """One offer made: at ``step``, by ``proposer``, the division ``outcome``."""

    step: int
    proposer: int
    outcome: Division


@dataclass(frozen=True, slots=True)
class NMI:
    """What a negotiator is told at the start (NegMAS's negotiator-mechanism interface).

    ``player`` is its index (0 proposes first unless the run says otherwise), ``pool``
    the items, ``values`` its own per-item values (the opponent's are private),
    ``n_steps`` the number of offers after which the negotiation fails, ``outcomes``
    every division in a fixed order, ``reserved_value`` what no agreement gives it.
    """

    player: int
    pool: tuple[int, int, int]
    values: tuple[int, int, int]
    n_steps: int
    outcomes: tuple[Division, ...]
    reserved_value: int = 0

    def utility(self, outcome: Division) -> int:
        """The negotiator's own utility of a division (player 0's quantities)."""
        mine = (
            outcome
            if self.player == 0
            else tuple(n - q for n, q in zip(self.pool, outcome, strict=True))
        )
        return sum(v * q for v, q in zip(self.values, mine, strict=True))


@dataclass(frozen=True, slots=True)
class SAOState:
    """The negotiation's state when a negotiator is asked to act (NegMAS's ``SAOState``)."""

    step: int
    n_steps: int
    current_offer: Division | None
    current_proposer: int | None
    history: tuple[Offer, ...]

    @property
    def relative_time(self) -> float:
        """``step / n_steps``: 0 at the first offer, ``(n - 1)/n`` at the last."""
        return self.step / self.n_steps


@runtime_checkable
class Negotiator(Protocol):
    """A negotiator: started with its :class:`NMI`, then asked to propose or respond."""

    def on_negotiation_start(self, nmi: NMI) -> None:
        """Reset for a new negotiation with these terms."""

    def propose(self, state: SAOState) -> Division:
        """The offer to make now."""
        ...

    def respond(self, state: SAOState, offer: Division) -> ResponseType:
        """The answer to ``offer`` (made by the other player, the state's current offer)."""
        ...


@dataclass(frozen=True, slots=True)
class NegotiationResult:
    """How a negotiation ended.

    ``agreement`` is the accepted division (``None``: no deal), ``utilities`` the
    players' values of it (the disagreement values without one), ``steps`` the number
    of offers made, ``offers`` the trace, ``ended_by`` one of ``"agreement"``,
    ``"timeout"``, ``"end_negotiation by player p"`` or ``"invalid ... by player p"``.
    """

    instance: Instance
    agreement: Division | None
    utilities: tuple[int, int]
    steps: int
    offers: tuple[Offer, ...]
    ended_by: str
    first: int


def _valid_division(instance: Instance, outcome: object) -> bool:
    return instance.is_division(outcome)


def openspiel_steps(max_turns: int = MAX_TURNS) -> int:
    """The ``n_steps`` equivalent to OpenSpiel's ``max_turns`` (module docstring)."""
    if type(max_turns) is not int or max_turns < 2:
        raise ValueError(f"max_turns must be an int >= 2, got {max_turns!r}")
    return max_turns - 1


def run_negotiation(
    instance: Instance,
    negotiators: Sequence[Negotiator],
    n_steps: int = MAX_TURNS - 1,
    first: int = 0,
    on_offer: Callable[[Offer], None] | None = None,
) -> NegotiationResult:
    """Alternating offers between two negotiators on ``instance`` (module docstring).

    ``negotiators[p]`` plays player ``p``; ``first`` makes the first offer; after
    ``n_steps`` rejected offers there is no deal. ``on_offer`` (if given) sees each
    offer as it is made, e.g. to post it somewhere else.
    """
    if not isinstance(instance, Instance):
        raise TypeError(f"instance must be an Instance, got {type(instance).__name__}")
    if isinstance(negotiators, str | bytes) or len(negotiators) != 2:
        raise ValueError(f"a negotiation needs exactly 2 negotiators, got {negotiators!r}")
    for p, neg in enumerate(negotiators):
        if not isinstance(neg, Negotiator):
            raise TypeError(
                f"negotiator {p} must have on_negotiation_start, propose and respond, "
                f"got {type(neg).__name__}"
            )
    if type(n_steps) is not int or not 1 <= n_steps <= MAX_STEPS:
        raise ValueError(f"n_steps must be an int in [1, {MAX_STEPS}], got {n_steps!r}")
    if type(first) is not int or first not in (0, 1):
        raise ValueError(f"first must be 0 or 1, got {first!r}")
    outcomes = instance.divisions()
    for p, neg in enumerate(negotiators):
        neg.on_negotiation_start(
            NMI(
                player=p,
                pool=instance.pool,
                values=instance.values[p],
                n_steps=n_steps,
                outcomes=outcomes,
            )
        )
    history: list[Offer] = []

    def end(agreement: Division | None, how: str) -> NegotiationResult:
        return NegotiationResult(
            instance=instance,
            agreement=agreement,
            utilities=instance.utilities(agreement) if agreement is not None else (0, 0),
            steps=len(history),
            offers=tuple(history),
            ended_by=how,
            first=first,
        )

    current: Division | None = None
    proposer: int | None = None
    for step in range(n_steps):
        p = (first + step) % 2
        state = SAOState(step, n_steps, current, proposer, tuple(history))
        outcome = negotiators[p].propose(state)
        if not _valid_division(instance, outcome):
            return end(None, f"invalid offer {outcome!r} by player {p}")
        offer = Offer(step, p, outcome)
        history.append(offer)
        if on_offer is not None:
            on_offer(offer)
        current, proposer = outcome, p
        state = SAOState(step, n_steps, current, proposer, tuple(history))
        answer = negotiators[1 - p].respond(state, outcome)
        if answer is ResponseType.ACCEPT_OFFER:
            return end(outcome, "agreement")
        if answer is ResponseType.END_NEGOTIATION:
            return end(None, f"end_negotiation by player {1 - p}")
        if answer is not ResponseType.REJECT_OFFER:
            return end(None, f"invalid response {answer!r} by player {1 - p}")
    return end(None, "timeout")


def openspiel_actions(result: NegotiationResult) -> list[int]:
    """The OpenSpiel ``bargaining`` actions of a negotiation (offers, then agree if any).

    Valid for runs with ``first = 0`` (OpenSpiel's player 0 always opens).
    """
    if result.first != 0:
        raise ValueError("OpenSpiel's player 0 always makes the first offer; this run's first is 1")
    actions = [offer_action(result.instance, o.outcome, o.proposer) for o in result.offers]
    if result.agreement is not None:
        actions.append(AGREE)
    return actions
