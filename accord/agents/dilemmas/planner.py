"""The planner: the welfare-maximising contract of the menu that every player accepts.

Haupt et al. (2024, §3) observe that a proposer free to choose any contract of a space
can offer the one that maximises welfare subject to everyone preferring it to no
contract, so all accept. Over the env's finite menu this is
:func:`~accord.mechanisms.contracting.best_contract` with the payoffs of
:func:`~accord.agents.dilemmas.strategies.contract_value`: each player's payoff per round
in the worst pure equilibrium of the contracted game, minus its share of the keeper fee
a settled round costs. Transfers are zero-sum, so welfare rises only when the contract
moves play to a better equilibrium: in the prisoner's dilemma and the stag hunt, the
first θ of the menu above :func:`~accord.mechanisms.dilemmas.theta_dominant`; in
chicken (default payoffs) no contract beats none, since its equilibria already reach
the optimum's welfare.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

from accord.agents.dilemmas.strategies import (
    AlwaysDefect,
    Cooperator,
    Greedy,
    Strategy,
    TitForTat,
    contract_value,
)
from accord.mechanisms.contracting import best_contract
from accord.mechanisms.dilemmas import Dilemma, equilibrium_payoff
from accord.mechanisms.stakes import stake_payoffs, surviving

__all__ = ["STRATEGIES", "Planner", "make_strategy", "planner_choice", "stake_choice"]


def planner_choice(
    game: Dilemma,
    thetas: Sequence[Fraction | None],
    fee: Fraction = Fraction(0),
) -> int:
    """The menu index the planner proposes: ``thetas[0]`` must be ``None`` (no
    contract), the others are θ in points; ``fee`` is each player's keeper fee per round
    under a contract (points)."""
    if not thetas or thetas[0] is not None:
        raise ValueError("thetas[0] must be None (menu entry 0 is no contract)")

    def evaluate(theta: Fraction | None) -> tuple[Fraction, ...]:
        return (contract_value(game, theta, fee),) * game.n

    return best_contract(list(thetas), evaluate)


def stake_choice(
    game: Dilemma,
    thetas: Sequence[Fraction | None],
    committer: int = 0,
    fee: Fraction = Fraction(0),
) -> int:
    """The menu index a planner commits to as a unilateral stake (``committer`` stakes
    θ points on its own defection, :mod:`accord.mechanisms.stakes`): among the stakes
    after which a single profile survives iterated strict dominance, the one whose
    welfare, less the keeper fee the committer alone pays (``fee`` a player a round,
    ``n·fee`` in all), is highest, if it beats the worst pure equilibrium without a
    contract; else 0. Ties go to the smaller index. On the default menu (1..5 points):
    2 points in the prisoner's dilemma (the other defects whatever happens, and against
    a defector a stake of ``θ_commit = 2`` already makes cooperating strictly better:
    welfare 5 against 2), 4 in the stag hunt (the first above ``θ_commit = 3``: welfare
    8 against 6), none in chicken (6 either way)."""
    if not thetas or thetas[0] is not None:
        raise ValueError("thetas[0] must be None (menu entry 0 is no contract)")
    best, choice = equilibrium_payoff(game) * game.n, 0
    for k, theta in enumerate(thetas[1:], start=1):
        if theta is None:
            raise ValueError(f"thetas[{k}] is None: only entry 0 may be no contract")
        left = surviving(game, theta, committer)
        if any(len(moves) != 1 for moves in left):
            continue
        profile = tuple(moves[0] for moves in left)
        value = sum(stake_payoffs(game, theta, profile, committer)) - game.n * fee
        if value > best:
            best, choice = value, k
    return choice


class Planner(Greedy):
    """Proposes :func:`planner_choice`; plays and answers as :class:`Greedy` does."""

    name = "planner"

    def propose(
        self, game: Dilemma, thetas: Sequence[Fraction | None], fee: Fraction = Fraction(0)
    ) -> int:
        return planner_choice(game, thetas, fee)

    def commit(
        self,
        game: Dilemma,
        thetas: Sequence[Fraction | None],
        me: int,
        fee: Fraction = Fraction(0),
    ) -> int:
        """The unilateral stake it commits to as player ``me`` (:func:`stake_choice`)."""
        return stake_choice(game, thetas, me, fee)


STRATEGIES: dict[str, Callable[[], Strategy]] = {
    "always_defect": AlwaysDefect,
    "cooperator": Cooperator,
    "tit_for_tat": TitForTat,
    "greedy": Greedy,
    "planner": Planner,
}
"""The scripted strategies by name."""


def make_strategy(name: str) -> Strategy:
    """The strategy called ``name`` (:data:`STRATEGIES`)."""
    try:
        return STRATEGIES[name]()
    except KeyError:
        known = ", ".join(sorted(STRATEGIES))
        raise ValueError(f"unknown strategy {name!r} (known: {known})") from None
