"""``cleanup_v0``: Cleanup with Haupt et al.'s contract, settled on the device.

Each agent walks :mod:`accord.games.gridworld.cleanup`'s map: apples (reward 1 each)
grow in the orchard only while the river's waste share is low, and cleaning earns the
cleaner nothing. **Contract space** (Haupt, Christoffersen, Damani & Hadfield-Menell,
"Formal Contracts Mitigate Social Dilemmas in Multi-Agent RL", 2024, Cleanup): θ base
units per waste cell cleaned, paid to the cleaner by the others (``cleanup_space``: one
feature per agent and step, the cells it cleaned, at most ``(2·clean_radius + 1)²``).
The menu is ``None`` then ``(θ,)`` for each θ of ``thetas`` (default :data:`THETAS`:
0.05 to 0.4 apples' worth per cell at ``unit = 1000``).

**Actions** (``Discrete(max(6, len(menu)))``): stay, up, down, left, right, clean; in a
negotiation, the proposal and acceptance as :mod:`accord.envs.gridworld` says.
**Observation**: the agent's 5 x 5 window of apples, waste, river, other agents and
walls (flattened, channel by channel), its position scaled to [0, 1], the river's waste
share, then the contract tail of :mod:`accord.envs.gridworld`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from pettingzoo import AECEnv
from pettingzoo.utils.conversions import parallel_to_aec

from accord.device import DeviceConfig
from accord.envs.gridworld import ContractFields, GridworldEnv
from accord.games.gridworld import Cleanup, CleanupParams
from accord.mechanisms.contracting import cleanup_space

__all__ = ["THETAS", "CleanupEnv", "CleanupEnvParams", "env", "parallel_env"]

THETAS: tuple[int, ...] = (50, 100, 200, 400)
"""Default menu θ values (base units per waste cell cleaned)."""


class CleanupEnvParams(CleanupParams, ContractFields):
    """The game's rules (:class:`CleanupParams`) and the episode's (:class:`ContractFields`)."""


class CleanupEnv(GridworldEnv):
    """Cleanup as a contracting ``ParallelEnv`` (module docstring)."""

    metadata: ClassVar[dict[str, Any]] = {
        "name": "cleanup_v0",
        "render_modes": [],
        "is_parallelizable": True,
    }

    def __init__(
        self,
        render_mode: str | None = None,
        device: DeviceConfig | Mapping[str, Any] | None = None,
        **params: Any,
    ) -> None:
        self.params = CleanupEnvParams.model_validate(params)
        game = CleanupParams.model_validate(
            {k: getattr(self.params, k) for k in CleanupParams.model_fields}
        )
        thetas = self.params.thetas or THETAS
        side = 2 * game.clean_radius + 1
        space = cleanup_space(max(thetas), side * side)
        self.game = Cleanup(game)
        super().__init__(render_mode, self.game, self.params, game.agents, space, (thetas,), device)

    def _play(self, actions: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
        step = self.game.step(actions)
        return step.eaten, tuple(int(x) for x in step.cleaned)


def parallel_env(**kwargs: Any) -> CleanupEnv:
    """The env as a ``ParallelEnv`` (keyword arguments: the params)."""
    return CleanupEnv(**kwargs)


def env(**kwargs: Any) -> AECEnv[str, Any, Any]:
    """The same env as an AEC env (PettingZoo's ``parallel_to_aec``)."""
    return parallel_to_aec(CleanupEnv(**kwargs))
