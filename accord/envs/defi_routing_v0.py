"""``defi_routing_v0``: searchers deciding, block by block, whether to sandwich or back-run.

See :class:`accord.envs.defi.DefiRoutingEnv` for the spaces, the reward and the seeding.
"""

from __future__ import annotations

from typing import Any

from pettingzoo import AECEnv
from pettingzoo.utils.conversions import parallel_to_aec

from accord.envs.defi import ACTIONS, OBS_FIELDS, DefiEnvParams, DefiRoutingEnv

__all__ = ["ACTIONS", "OBS_FIELDS", "DefiEnvParams", "DefiRoutingEnv", "env", "parallel_env"]


def parallel_env(**kwargs: Any) -> DefiRoutingEnv:
    """The env as a ``ParallelEnv`` (keyword arguments: ``device`` and the params)."""
    return DefiRoutingEnv(**kwargs)


def env(**kwargs: Any) -> AECEnv[str, Any, Any]:
    """The same env as an AEC env (PettingZoo's ``parallel_to_aec``)."""
    return parallel_to_aec(DefiRoutingEnv(**kwargs))
