"""Scripted strategies for the repeated n-player matrix dilemmas.

A strategy sees a :class:`RoundView` (the game, the contract in force, the last round)
and returns a move, 0 cooperate or 1 defect (the contract's features), and answers
proposals. The four, after Axelrod (*The Evolution of Cooperation*, 1984) and the
n-player literature:

- :class:`AlwaysDefect`: defects every round; rejects every contract (it would pay).
- :class:`Cooperator`: cooperates every round; accepts every contract (it only receives).
- :class:`TitForTat`: cooperates first, then cooperates iff at least ``quorum`` of the
  others cooperated last round (``quorum = 1.0``: all of them; with two players this is
  Axelrod's tit-for-tat; the n-player generalisation follows Boyd & Richerson, "The
  evolution of reciprocity in sizable groups", J. Theor. Biol. 132, 1988).
- :class:`Greedy`: a myopic best response: the move that pays most against the others'
  last round, under the contract in force (payoffs and transfers), defecting on ties.
  Without a contract it defects in the prisoner's dilemma; under ``θ > θ_dom``
  (:func:`~accord.mechanisms.dilemmas.theta_dominant`) it cooperates whatever happened.

Every strategy but the two unconditional ones answers a proposal by
:func:`contract_value`: accept iff its payoff in the
worst equilibrium of the contracted game, net of any keeper fee, is at least the one
without a contract (individual rationality, the planner's constraint).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from accord.mechanisms.dilemmas import Dilemma, equilibrium_payoff, gain_from_cooperating

__all__ = [
    "COOPERATE",
    "DEFECT",
    "AlwaysDefect",
    "Cooperator",
    "Greedy",
    "RoundView",
    "Strategy",
    "TitForTat",
    "contract_value",
]

COOPERATE, DEFECT = 0, 1


@dataclass(frozen=True)
class RoundView:
    """What one player knows before a round.

    ``theta`` is the contract in force in points (``None``: no contract); ``last`` is
    the previous round's moves by everyone (``True`` cooperated; ``None`` before the
    first), ``me`` the player's index in it. ``committer`` is set when the contract is
    a unilateral stake: that player pays ``theta`` if it defects, the others never pay.
    """

    game: Dilemma
    me: int
    round: int
    theta: Fraction | None = None
    last: tuple[bool, ...] | None = None
    committer: int | None = None

    def others_cooperated(self) -> int | None:
        """How many others cooperated last round (``None`` before the first)."""
        if self.last is None:
            return None
        return sum(self.last) - self.last[self.me]


def contract_value(game: Dilemma, theta: Fraction | None, fee: Fraction = Fraction(0)) -> Fraction:
    """One player's payoff per round (points) under the contract ``θ`` (``None``: no
    contract) costing ``fee`` points a round in keeper fees, in the worst pure
    equilibrium of the contracted game (:func:`~accord.mechanisms.dilemmas.equilibrium_payoff`)."""
    if theta is None:
        return equilibrium_payoff(game)
    return equilibrium_payoff(game, theta) - fee


class Strategy:
    """A scripted player: a move per round and an answer to a proposal."""

    name = "strategy"

    def move(self, view: RoundView) -> int:
        raise NotImplementedError

    def accepts(self, game: Dilemma, theta: Fraction, fee: Fraction = Fraction(0)) -> bool:
        """Accept the contract ``θ`` (points) costing ``fee`` points a round in keeper
        fees: by :func:`contract_value` unless the strategy says otherwise."""
        return contract_value(game, theta, fee) >= contract_value(game, None)


class AlwaysDefect(Strategy):
    name = "always_defect"

    def move(self, view: RoundView) -> int:
        return DEFECT

    def accepts(self, game: Dilemma, theta: Fraction, fee: Fraction = Fraction(0)) -> bool:
        return theta == 0 and fee == 0


class Cooperator(Strategy):
    name = "cooperator"

    def move(self, view: RoundView) -> int:
        return COOPERATE

    def accepts(self, game: Dilemma, theta: Fraction, fee: Fraction = Fraction(0)) -> bool:
        return True


@dataclass
class TitForTat(Strategy):
    quorum: float = 1.0
    name = "tit_for_tat"

    def __post_init__(self) -> None:
        if not 0.0 <= self.quorum <= 1.0:
            raise ValueError(f"quorum must be in [0, 1], got {self.quorum}")

    def move(self, view: RoundView) -> int:
        k = view.others_cooperated()
        if k is None:
            return COOPERATE
        return COOPERATE if k >= self.quorum * (view.game.n - 1) else DEFECT


class Greedy(Strategy):
    name = "greedy"

    def move(self, view: RoundView) -> int:
        k = view.others_cooperated()
        if k is None:  # before the first round: best response to everyone defecting
            k = 0
        if view.committer is None:
            gain = gain_from_cooperating(view.game, view.theta or 0)[k]
        else:  # a unilateral stake: only the committer's own move changes what it pays
            gain = view.game.cooperate[k] - view.game.defect[k]
            if view.committer == view.me:
                gain += view.theta or 0
        return COOPERATE if gain > 0 else DEFECT
