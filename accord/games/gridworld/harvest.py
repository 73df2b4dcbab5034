"""Harvest: a commons of apples that regrow only near other apples.

The game (Leibo et al., "Multi-agent Reinforcement Learning in Sequential Social
Dilemmas", AAMAS 2017, "Gathering"; Perolat, Leibo, Zambaldi, Beattie, Tuyls & Graepel,
"A multi-agent reinforcement learning model of common-pool resource appropriation",
NeurIPS 2017; Hughes et al., "Inequity aversion improves cooperation in intertemporal
social dilemmas", NeurIPS 2018, "Harvest"): agents walk a map and eat the apple of the
cell they step on (reward 1 each). An empty apple cell regrows with a probability that
rises with the number ``n`` of apples within L1 distance ``radius = 2`` of it:

    P(regrow) = regrowth[min(n, len(regrowth) - 1)],  regrowth = (0, 0.005, 0.02, 0.05),

the values of the public sequential-social-dilemma implementation used by Hughes et al.
2018 and by Haupt et al. 2024 (Vinitsky, Jaques, Leibo, Castaneda & Hughes, "An Open
Source Implementation of Sequential Social Dilemma Games", 2019). An apple with no
neighbour never comes back, so eating a patch's last apples kills the patch: greedy
agents strip the map and welfare collapses; restrained ones keep patches dense and eat
their regrowth. That is the commons dilemma.

Contract feature (Haupt, Christoffersen, Damani & Hadfield-Menell, "Formal Contracts
Mitigate Social Dilemmas in Multi-Agent RL", 2024, Harvest): the number of apples each
agent ate this step that had fewer than ``sparse_below`` apples within ``radius``
(counted before anyone ate this step). A contract charges θ per such apple, split among
the others.

Simplifications (besides :mod:`~accord.games.gridworld.layout`'s: no orientation, no
tagging): a small map (:data:`HARVEST_LAYOUT`, 10 x 13, 23 apple cells) instead of the
original 36-column one; regrowth is drawn for every cell each step from one
``rng.random`` call, so a run is a pure function of the seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.games.gridworld.layout import (
    MOVES,
    Windows,
    diamond,
    move,
    neighbour_counts,
    parse_layout,
)

__all__ = ["HARVEST_LAYOUT", "Harvest", "HarvestParams", "HarvestStep"]

HARVEST_LAYOUT: tuple[str, ...] = (
    "@@@@@@@@@@@@@",
    "@P    A    P@",
    "@    AAA    @",
    "@   AAAAA   @",
    "@    AAA    @",
    "@     A     @",
    "@  A     A  @",
    "@ AAA   AAA @",
    "@  A  P  A  @",
    "@@@@@@@@@@@@@",
)
"""The default map: one 13-apple diamond and two 5-apple crosses, three spawn points."""


class HarvestParams(BaseModel):
    """Harvest's rules; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    layout: tuple[str, ...] = Field(HARVEST_LAYOUT, description="ASCII map (layout module)")
    agents: int = Field(2, ge=1, le=16, description="number of agents")
    regrowth: tuple[float, ...] = Field(
        (0.0, 0.005, 0.02, 0.05),
        min_length=1,
        max_length=32,
        description="regrowth probability by number of neighbouring apples (last: or more)",
    )
    radius: int = Field(2, ge=1, le=4, description="L1 radius of the neighbourhood")
    sparse_below: int = Field(
        3, ge=1, le=40, description="an apple with fewer neighbours than this is 'sparse'"
    )
    view: int = Field(2, ge=1, le=6, description="radius of each agent's window")

    @model_validator(mode="after")
    def _check(self) -> HarvestParams:
        if any(not 0.0 <= p <= 1.0 for p in self.regrowth):
            raise ValueError(f"regrowth probabilities must be in [0, 1], got {self.regrowth}")
        spawns = len(parse_layout(self.layout).spawns)
        if self.agents > spawns:
            raise ValueError(f"agents={self.agents} but the layout has {spawns} spawn points")
        return self


@dataclass(frozen=True)
class HarvestStep:
    """One step's outcome, per agent: apples eaten (0/1) and sparse apples eaten (0/1)."""

    eaten: np.ndarray
    sparse: np.ndarray


class Harvest:
    """The Harvest engine: state in numpy arrays, one :meth:`step` per time step."""

    actions = len(MOVES)
    channels: tuple[str, ...] = ("apple", "agent", "wall")

    def __init__(self, params: HarvestParams | None = None) -> None:
        self.params = params if params is not None else HarvestParams()
        self.layout = parse_layout(self.params.layout)
        self._offsets = diamond(self.params.radius)
        self._regrowth = np.asarray(self.params.regrowth, dtype=np.float64)
        walls = self.layout.walls[None].astype(np.float32)
        self._windows = Windows(walls, 2, np.array([0, 0, 1]), self.params.view)
        rows, cols = self.layout.shape
        self._scale = np.array([max(rows - 1, 1), max(cols - 1, 1)], dtype=np.float32)
        radius = self.params.radius
        self._kernel = np.zeros((2 * radius + 1, 2 * radius + 1), dtype=np.int16)
        self._kernel[self._offsets[:, 0] + radius, self._offsets[:, 1] + radius] = 1
        self._counts = np.zeros((rows + 2 * radius, cols + 2 * radius), dtype=np.int16)
        self.apples = self.layout.apples.copy()
        self.positions = self.layout.spawns[: self.params.agents].copy()
        self._rng = np.random.default_rng(0)
        self._recount()

    def _recount(self) -> None:
        """Neighbour counts from scratch (kept up to date by :meth:`_toggle` after)."""
        rows, cols = self.layout.shape
        k = self.params.radius
        self._counts[...] = 0
        self._counts[k : k + rows, k : k + cols] = self.neighbours()

    def _toggle(self, cells: list[list[int]], sign: int) -> None:
        """Apples appeared (+1) or went (-1) at ``cells``: update the counts around them
        (one kernel add per cell, instead of recounting the map)."""
        span = 2 * self.params.radius + 1
        for r, c in cells:
            self._counts[r : r + span, c : c + span] += sign * self._kernel

    @property
    def observation_size(self) -> int:
        """Length of one agent's :meth:`observe` row: the window's cells, then position."""
        side = 2 * self.params.view + 1
        return len(self.channels) * side * side + 2

    def reset(self, rng: np.random.Generator) -> None:
        """The start state: the map's apples, agents on spawn points drawn from ``rng``."""
        self._rng = rng
        self.apples = self.layout.apples.copy()
        pick = rng.permutation(len(self.layout.spawns))[: self.params.agents]
        self.positions = self.layout.spawns[np.sort(pick)].copy()
        self._recount()

    def neighbours(self) -> np.ndarray:
        """Apples within ``radius`` of each cell (the cell itself excluded), counted
        from scratch."""
        return neighbour_counts(self.apples, self._offsets, self.params.radius)

    def counts(self) -> np.ndarray:
        """The same counts as :meth:`neighbours`, as the engine keeps them (a view)."""
        rows, cols = self.layout.shape
        k = self.params.radius
        return self._counts[k : k + rows, k : k + cols]

    def step(self, actions: np.ndarray) -> HarvestStep:
        """Move, eat, regrow (module docstring); ``actions`` is one index per agent."""
        order = self._rng.permutation(self.params.agents)
        self.positions = move(self.positions, actions, self.layout.walls, order)
        r, c = self.positions[:, 0], self.positions[:, 1]
        eaten = self.apples[r, c].copy()
        self.apples[r, c] = False
        if eaten.any():
            self._toggle(self.positions[eaten].tolist(), -1)
        k = self.params.radius
        counts = self.counts()
        # before anyone ate: the count after, plus the other apples eaten nearby
        before = counts[r, c].astype(np.int64)
        if eaten.sum() > 1:
            near = np.abs(r[:, None] - r[None, :]) + np.abs(c[:, None] - c[None, :])
            close = (near > 0) & (near <= k) & eaten[None, :]
            before += close.sum(axis=1)
        sparse = eaten & (before < self.params.sparse_below)
        level = np.minimum(counts, len(self._regrowth) - 1)
        free = self.layout.apple_cells & ~self.apples
        free[r, c] = False
        grown = free & (self._rng.random(self.apples.shape) < self._regrowth[level])
        if grown.any():
            self.apples |= grown
            self._toggle(np.argwhere(grown).tolist(), +1)
        return HarvestStep(eaten.astype(np.int64), sparse.astype(np.int64))

    def observe(self) -> np.ndarray:
        """One row per agent: its window of apples, other agents and walls, flattened,
        then its position scaled to [0, 1]."""
        dynamic = np.zeros((2, *self.apples.shape), dtype=np.float32)
        dynamic[0] = self.apples
        dynamic[1, self.positions[:, 0], self.positions[:, 1]] = 1.0
        win = self._windows(dynamic, self.positions)
        v = self.params.view
        win[:, 1, v, v] -= 1.0  # oneself is not an "other agent"
        flat = win.reshape(len(self.positions), -1)
        return np.concatenate([flat, self.positions / self._scale], axis=1, dtype=np.float32)
