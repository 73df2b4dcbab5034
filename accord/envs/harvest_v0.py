"""``harvest_v0``: the Harvest commons with Haupt et al.'s contract, settled on the device.

Each agent walks :mod:`accord.games.gridworld.harvest`'s map and eats apples (reward 1
each); apples regrow only near other apples. **Contract space** (Haupt, Christoffersen,
Damani & Hadfield-Menell, "Formal Contracts Mitigate Social Dilemmas in Multi-Agent RL",
2024, Harvest): θ base units per apple eaten with fewer than ``sparse_below`` apples
within ``radius`` (``harvest_space``: the over-threshold rule with threshold 0, one
feature per agent and step, 0 or 1), split among the others. The menu is ``None`` then
``(0, θ)`` for each θ of ``thetas`` (default :data:`THETAS`: a quarter, a half, one and
two apples' worth at ``unit = 1000``).

**Actions** (``Discrete(max(5, len(menu)))``): stay, up, down, left, right (absolute:
agents have no orientation); in a negotiation, the proposal and acceptance as
:mod:`accord.envs.gridworld` says. **Observation**: the agent's 5 x 5 window of apples,
other agents and walls (flattened, channel by channel), its position scaled to [0, 1],
then the contract tail of :mod:`accord.envs.gridworld`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from pettingzoo import AECEnv
from pettingzoo.utils.conversions import parallel_to_aec

from accord.device import DeviceConfig
from accord.envs.gridworld import ContractFields, GridworldEnv
from accord.games.gridworld import Harvest, HarvestParams
from accord.mechanisms.contracting import harvest_space

__all__ = ["THETAS", "HarvestEnv", "HarvestEnvParams", "env", "parallel_env"]

THETAS: tuple[int, ...] = (250, 500, 1000, 2000)
"""Default menu θ values (base units per sparse apple)."""


class HarvestEnvParams(HarvestParams, ContractFields):
    """The game's rules (:class:`HarvestParams`) and the episode's (:class:`ContractFields`)."""


class HarvestEnv(GridworldEnv):
    """Harvest as a contracting ``ParallelEnv`` (module docstring)."""

    metadata: ClassVar[dict[str, Any]] = {
        "name": "harvest_v0",
        "render_modes": [],
        "is_parallelizable": True,
    }

    def __init__(
        self,
        render_mode: str | None = None,
        device: DeviceConfig | Mapping[str, Any] | None = None,
        **params: Any,
    ) -> None:
        self.params = HarvestEnvParams.model_validate(params)
        game = HarvestParams.model_validate(
            {k: getattr(self.params, k) for k in HarvestParams.model_fields}
        )
        thetas = self.params.thetas or THETAS
        space = harvest_space(max(thetas), 1)
        self.game = Harvest(game)
        super().__init__(
            render_mode, self.game, self.params, game.agents, space, ((0,), thetas), device
        )

    def _play(self, actions: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
        step = self.game.step(actions)
        return step.eaten, tuple(int(x) for x in step.sparse)


def parallel_env(**kwargs: Any) -> HarvestEnv:
    """The env as a ``ParallelEnv`` (keyword arguments: the params)."""
    return HarvestEnv(**kwargs)


def env(**kwargs: Any) -> AECEnv[str, Any, Any]:
    """The same env as an AEC env (PettingZoo's ``parallel_to_aec``)."""
    return parallel_to_aec(HarvestEnv(**kwargs))
