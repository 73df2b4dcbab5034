"""``N`` atomic users: a pure Nash equilibrium by best response on Rosenthal's potential.

Each demand ``D`` is split among ``N`` users of weight ``w = D/N`` (one demand: an
unweighted congestion game, so the costs seen are ``c_e(n_e·w)`` with ``n_e`` the users
on edge ``e``). Rosenthal ("A class of games possessing pure-strategy Nash equilibria",
Int. J. Game Theory, 1973) showed that

    P(n) = Σ_e Σ_{j=1}^{n_e} c_e(j·w)

changes by exactly a deviating user's change in cost, so every strict improvement
lowers ``P``: best-response dynamics end, at a pure Nash equilibrium. The users arrive
one by one on their best path given those before them, then take turns (in a fixed
order, so the result is deterministic) switching to a strictly better path until none
can. As ``N → ∞`` the equilibrium's cost tends to the Wardrop equilibrium's (Haurie &
Marcotte, "On the relationship between Nash–Cournot and Wardrop equilibria", Networks
1985).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from accord.mechanisms.congestion.network import Game

Array = NDArray[np.float64]
IntArray = NDArray[np.intp]

__all__ = ["AtomicEquilibrium", "atomic_equilibrium"]

IMPROVEMENT = 1e-12
"""A switch must lower the user's cost by more than this fraction (no cycling on ties)."""


@dataclass(frozen=True, eq=False)
class AtomicEquilibrium:
    """A pure Nash equilibrium of ``players`` atomic users of one demand."""

    game: Game
    players: int
    choice: IntArray  # each user's path
    users: IntArray  # users on each edge
    weight: float
    potential: float
    rounds: int
    switches: int

    @property
    def edge_flow(self) -> Array:
        return np.asarray(self.users * self.weight, dtype=float)

    @property
    def total_cost(self) -> float:
        """``Σ_e w·n_e·c_e(n_e·w)``: what all users pay."""
        f = self.edge_flow
        return float(np.dot(f, self.game.table.latency(f)))

    def deviation_gain(self) -> float:
        """The most any user would save by switching path (0 at a Nash equilibrium)."""
        best = 0.0
        for i in range(self.players):
            costs = _costs(self.game, self.users, self.weight, int(self.choice[i]))
            best = max(best, float(costs[self.choice[i]] - costs.min()))
        return best


def _costs(game: Game, users: IntArray, w: float, current: int) -> Array:
    """Each path's cost to a user on path ``current`` (``-1``: not yet placed)."""
    table = game.table
    stay = table.latency(users.astype(float) * w)
    move = table.latency((users + 1).astype(float) * w)
    on = game.incidence[:, current] > 0 if current >= 0 else np.zeros(len(users), dtype=bool)
    return np.asarray(game.incidence.T @ np.where(on, stay, move), dtype=float)


def atomic_equilibrium(game: Game, players: int, *, max_rounds: int = 10_000) -> AtomicEquilibrium:
    """Best-response dynamics for ``players`` users sharing the game's one demand."""
    if len(game.demands) != 1:
        raise ValueError(f"atomic users need a game with one demand, got {len(game.demands)}")
    if type(players) is not int or players < 1:
        raise ValueError(f"players must be a positive int, got {players!r}")
    if type(max_rounds) is not int or max_rounds < 1:
        raise ValueError(f"max_rounds must be a positive int, got {max_rounds!r}")
    w = float(game.amounts[0]) / players
    delta = game.incidence.astype(np.intp)
    users = np.zeros(len(game.edges), dtype=np.intp)
    choice = np.full(players, -1, dtype=np.intp)
    for i in range(players):  # arrivals: each on its best path given those before
        p = int(np.argmin(_costs(game, users, w, -1)))
        choice[i] = p
        users += delta[:, p]
    rounds = switches = 0
    moved = True
    while moved:
        if rounds >= max_rounds:
            raise ValueError(f"best response did not settle in {max_rounds} rounds")
        rounds += 1
        moved = False
        for i in range(players):
            current = int(choice[i])
            costs = _costs(game, users, w, current)
            p = int(np.argmin(costs))
            if costs[p] < costs[current] * (1.0 - IMPROVEMENT) - 1e-300:
                users += delta[:, p] - delta[:, current]
                choice[i] = p
                switches += 1
                moved = True
    table = game.table
    potential = 0.0  # P(n) = Σ_j Σ_e [j ≤ n_e]·c_e(j·w)
    ones = np.ones(len(game.edges))
    for j in range(1, int(users.max()) + 1):
        potential += float(table.latency(ones * (j * w))[users >= j].sum())
    return AtomicEquilibrium(game, players, choice, users, w, potential, rounds, switches)
