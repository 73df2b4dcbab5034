"""Cleanup: apples grow only while someone cleans the river.

The game (Hughes, Leibo, Phillips, Tuyls, Dueñez-Guzman, García Castañeda, Dunning,
Zhu, McKee, Koster, Roff & Graepel, "Inequity aversion improves cooperation in
intertemporal social dilemmas", NeurIPS 2018, "Cleanup"): a river fills with waste and an
orchard grows apples at a rate that falls as the river gets dirtier. With ``d`` the
share of river cells holding waste, each step:

- every empty, unoccupied orchard cell grows an apple with probability
  ``apple_rate`` if ``d <= restoration``, 0 if ``d >= depletion``, and
  ``apple_rate * (1 - (d - restoration) / (depletion - restoration))`` between;
- with probability ``waste_rate`` (0 once ``d >= depletion``) one clean river cell,
  drawn uniformly, fills with waste;

with ``apple_rate = 0.05``, ``depletion = 0.4`` and ``restoration = 0`` as in the public
implementations (DeepMind Lab2D's ``clean_up`` settings ``appleRespawnProbability``,
``thresholdDepletion``, ``thresholdRestoration``; Vinitsky et al. 2019's
sequential-social-dilemma games), whose ``waste_rate`` (``mudSpawnProbability``) is 0.5
on their 25 x 18 map, whose river has 119 cells (56 of them waste at the start, 47%, above
``depletion``: no apple grows until someone cleans). Ours has 21, so the same 0.5 would
fill it almost six times as fast; the default here, 0.1, keeps about the original share
per step (0.5/119 = 0.0042, 0.1/21 = 0.0048). Eating
an apple is worth 1; cleaning is worth nothing to the cleaner, so each agent would
rather the others clean: the public-good dilemma.

Contract feature (Haupt, Christoffersen, Damani & Hadfield-Menell, "Formal Contracts
Mitigate Social Dilemmas in Multi-Agent RL", 2024, Cleanup): the number of waste cells
each agent cleaned this step. A contract pays the cleaner θ per cell, the others paying.

Simplifications (besides :mod:`~accord.games.gridworld.layout`'s: no orientation, no
tagging): the clean action removes the waste of every cell within Chebyshev distance
``clean_radius = 1`` of the agent (a 3 x 3 square) instead of a beam ahead of it; the map
(:data:`CLEANUP_LAYOUT`, 9 x 14) is small, with a 21-cell river that starts 81% waste,
so the orchard grows nothing until someone cleans; no 50-step delay before waste
starts to spawn. A cell two agents clean in the same step counts for the one that acts
first in the step's random order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.games.gridworld.layout import MOVES, Windows, move, parse_layout

__all__ = ["CLEAN", "CLEANUP_LAYOUT", "Cleanup", "CleanupParams", "CleanupStep"]

CLEANUP_LAYOUT: tuple[str, ...] = (
    "@@@@@@@@@@@@@@",
    "@HHH       aa@",
    "@HRH  P    aa@",
    "@HHH       aa@",
    "@RHR  P    aa@",
    "@HHH       aa@",
    "@HRH  P    aa@",
    "@HHH       aa@",
    "@@@@@@@@@@@@@@",
)
"""The default map: the river on the left (``H`` waste, ``R`` clean), an empty orchard
on the right, three spawn points between."""

CLEAN = len(MOVES)
"""The clean action's index (after the five moves)."""


class CleanupParams(BaseModel):
    """Cleanup's rules; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    layout: tuple[str, ...] = Field(CLEANUP_LAYOUT, description="ASCII map (layout module)")
    agents: int = Field(2, ge=1, le=16, description="number of agents")
    apple_rate: float = Field(0.05, ge=0.0, le=1.0, description="growth chance, clean river")
    waste_rate: float = Field(
        0.1, ge=0.0, le=1.0, description="chance a waste cell appears (0.5 on the big map)"
    )
    depletion: float = Field(0.4, gt=0.0, le=1.0, description="waste share that stops apples")
    restoration: float = Field(0.0, ge=0.0, lt=1.0, description="waste share of full growth")
    clean_radius: int = Field(1, ge=0, le=4, description="Chebyshev radius of cleaning")
    view: int = Field(2, ge=1, le=6, description="radius of each agent's window")

    @model_validator(mode="after")
    def _check(self) -> CleanupParams:
        if self.restoration >= self.depletion:
            raise ValueError(
                f"restoration ({self.restoration}) must be below depletion ({self.depletion})"
            )
        layout = parse_layout(self.layout)
        if not layout.river.any():
            raise ValueError("the layout has no river cell ('H' or 'R')")
        if self.agents > len(layout.spawns):
            raise ValueError(
                f"agents={self.agents} but the layout has {len(layout.spawns)} spawn points"
            )
        return self


@dataclass(frozen=True)
class CleanupStep:
    """One step's outcome, per agent: apples eaten (0/1) and waste cells cleaned."""

    eaten: np.ndarray
    cleaned: np.ndarray


class Cleanup:
    """The Cleanup engine: state in numpy arrays, one :meth:`step` per time step."""

    actions = len(MOVES) + 1
    channels: tuple[str, ...] = ("apple", "waste", "agent", "river", "wall")

    def __init__(self, params: CleanupParams | None = None) -> None:
        self.params = params if params is not None else CleanupParams()
        self.layout = parse_layout(self.params.layout)
        self._river = np.flatnonzero(self.layout.river)
        static = np.stack([self.layout.river, self.layout.walls]).astype(np.float32)
        self._windows = Windows(static, 3, np.array([0, 0, 0, 0, 1]), self.params.view)
        rows, cols = self.layout.shape
        self._scale = np.array([max(rows - 1, 1), max(cols - 1, 1)], dtype=np.float32)
        self.apples = self.layout.apples.copy()
        self.waste = self.layout.waste.copy()
        self.positions = self.layout.spawns[: self.params.agents].copy()
        self._rng = np.random.default_rng(0)

    @property
    def observation_size(self) -> int:
        """Length of one agent's :meth:`observe` row: the window's cells, position, d."""
        side = 2 * self.params.view + 1
        return len(self.channels) * side * side + 3

    def reset(self, rng: np.random.Generator) -> None:
        """The start state: the map's apples and waste, agents on spawns drawn from ``rng``."""
        self._rng = rng
        self.apples = self.layout.apples.copy()
        self.waste = self.layout.waste.copy()
        pick = rng.permutation(len(self.layout.spawns))[: self.params.agents]
        self.positions = self.layout.spawns[np.sort(pick)].copy()

    def waste_share(self) -> float:
        """``d``: the share of river cells holding waste."""
        return float(np.count_nonzero(self.waste)) / len(self._river)

    def apple_probability(self, d: float) -> float:
        """Each orchard cell's growth chance at waste share ``d`` (module docstring)."""
        p = self.params
        if d >= p.depletion:
            return 0.0
        if d <= p.restoration:
            return p.apple_rate
        return p.apple_rate * (1.0 - (d - p.restoration) / (p.depletion - p.restoration))

    def step(self, actions: np.ndarray) -> CleanupStep:
        """Move, clean, eat, grow (module docstring); ``actions`` is one index per agent."""
        n = self.params.agents
        order = self._rng.permutation(n)
        self.positions = move(self.positions, actions, self.layout.walls, order)
        cleaned = np.zeros(n, dtype=np.int64)
        k = self.params.clean_radius
        for i in order.tolist():
            if actions[i] != CLEAN:
                continue
            y, x = int(self.positions[i, 0]), int(self.positions[i, 1])
            box = self.waste[max(y - k, 0) : y + k + 1, max(x - k, 0) : x + k + 1]
            cleaned[i] = int(box.sum())
            box[...] = False
        r, c = self.positions[:, 0], self.positions[:, 1]
        eaten = self.apples[r, c].copy()
        self.apples[r, c] = False
        d = self.waste_share()
        free = self.layout.apple_cells & ~self.apples
        free[r, c] = False
        self.apples |= free & (self._rng.random(self.apples.shape) < self.apple_probability(d))
        if d < self.params.depletion and self._rng.random() < self.params.waste_rate:
            flat = self.waste.reshape(-1)
            clean = self._river[~flat[self._river]]
            if len(clean):
                flat[clean[self._rng.integers(len(clean))]] = True
        return CleanupStep(eaten.astype(np.int64), cleaned)

    def observe(self) -> np.ndarray:
        """One row per agent: its window of apples, waste, other agents, river and walls,
        flattened, then its position scaled to [0, 1] and the river's waste share."""
        dynamic = np.zeros((3, *self.apples.shape), dtype=np.float32)
        dynamic[0] = self.apples
        dynamic[1] = self.waste
        dynamic[2, self.positions[:, 0], self.positions[:, 1]] = 1.0
        win = self._windows(dynamic, self.positions)
        v = self.params.view
        win[:, 2, v, v] -= 1.0
        flat = win.reshape(len(self.positions), -1)
        d = np.full((len(self.positions), 1), self.waste_share(), dtype=np.float32)
        return np.concatenate([flat, self.positions / self._scale, d], axis=1, dtype=np.float32)
