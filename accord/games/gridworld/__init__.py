"""Gridworld commons in numpy: Harvest and Cleanup (sequential social dilemmas).

Small, fast, vectorised engines of the two gridworlds of Hughes et al. ("Inequity
aversion improves cooperation in intertemporal social dilemmas", NeurIPS 2018) on which
Haupt, Christoffersen, Damani & Hadfield-Menell ("Formal Contracts Mitigate Social
Dilemmas in Multi-Agent RL", 2024) test formal contracts. Each engine is a pure function
of its seeded :class:`numpy.random.Generator`; the PettingZoo envs that put them on the
device are :mod:`accord.envs.harvest_v0` and :mod:`accord.envs.cleanup_v0`.

- ``layout``: ASCII maps, neighbour counts, moves, egocentric windows.
- ``harvest``: apples regrow with a probability rising with neighbouring apples.
- ``cleanup``: apples grow only while the river's waste share is low enough.
"""

from accord.games.gridworld.cleanup import (
    CLEAN,
    CLEANUP_LAYOUT,
    Cleanup,
    CleanupParams,
    CleanupStep,
)
from accord.games.gridworld.harvest import HARVEST_LAYOUT, Harvest, HarvestParams, HarvestStep
from accord.games.gridworld.layout import MOVES, Layout, parse_layout

__all__ = [
    "CLEAN",
    "CLEANUP_LAYOUT",
    "HARVEST_LAYOUT",
    "MOVES",
    "Cleanup",
    "CleanupParams",
    "CleanupStep",
    "Harvest",
    "HarvestParams",
    "HarvestStep",
    "Layout",
    "parse_layout",
]
