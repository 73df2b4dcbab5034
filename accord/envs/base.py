"""What every device-backed ``ParallelEnv`` shares: spaces, the episode's device, seeding.

PettingZoo's parallel API (``observation_space``, ``action_space``, ``reset(seed=…)``)
asks the same of each env; this base answers it once. ``reset(seed=s)`` reseeds the env's
episode-seed generator and plays episode ``s``; ``reset()`` draws the next episode seed
from that generator (seeded with 0 at construction), so a sequence of resets after one
seeded reset is reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium
import numpy as np
from pettingzoo import ParallelEnv

from accord.device import Device

__all__ = ["DeviceEnv", "StepResult", "check_render_mode"]

StepResult = tuple[
    dict[str, np.ndarray],
    dict[str, float],
    dict[str, bool],
    dict[str, bool],
    dict[str, dict[str, Any]],
]
"""What a ParallelEnv's ``step`` returns: observations, rewards, terminations,
truncations and infos, each by agent."""


def check_render_mode(render_mode: str | None) -> None:
    """accord's envs render nothing: any ``render_mode`` but ``None`` is refused."""
    if render_mode is not None:
        raise ValueError(f"render_mode {render_mode!r} is not supported (none is)")


class DeviceEnv(ParallelEnv[str, np.ndarray, int]):  # type: ignore[misc]
    """Base of accord's envs: per-agent spaces, the current device, episode seeds."""

    def __init__(
        self,
        render_mode: str | None,
        agents: list[str],
        observation_spaces: Mapping[str, gymnasium.spaces.Space[Any]],
        actions: int,
    ) -> None:
        check_render_mode(render_mode)
        self.render_mode = render_mode
        self.possible_agents: list[str] = list(agents)
        self.agents: list[str] = []
        self._obs_space = dict(observation_spaces)
        self._act_space = {a: gymnasium.spaces.Discrete(actions) for a in self.possible_agents}
        self._seeds = np.random.default_rng(0)
        self._device: Device | None = None

    def observation_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
        return self._obs_space[agent]

    def action_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
        return self._act_space[agent]

    @property
    def device(self) -> Device:
        """The current episode's device (after :meth:`reset`)."""
        if self._device is None:
            raise RuntimeError("call reset() first")
        return self._device

    def _episode_seed(self, seed: int | None) -> int:
        """The seed of the episode :meth:`reset` starts (module docstring)."""
        if seed is None:
            return int(self._seeds.integers(2**63 - 1))
        if type(seed) is not int or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        self._seeds = np.random.default_rng(seed)
        return seed
