"""``bargaining_v0``: Deal or No Deal with alternating offers (OpenSpiel's actions).

See :class:`accord.envs.bargaining.BargainingEnv` for the spaces, the rules, bad actions
and scripted opponents.
"""

from __future__ import annotations

from typing import Any

from pettingzoo import AECEnv
from pettingzoo.utils.conversions import parallel_to_aec

from accord.envs.bargaining import BargainingEnv, BargainingEnvParams

__all__ = ["BargainingEnv", "BargainingEnvParams", "env", "parallel_env"]


def parallel_env(**kwargs: Any) -> BargainingEnv:
    """The env as a ``ParallelEnv`` (keyword arguments: ``opponent`` and the params)."""
    return BargainingEnv(**kwargs)


def env(**kwargs: Any) -> AECEnv[str, Any, Any]:
    """The same env as an AEC env (PettingZoo's ``parallel_to_aec``)."""
    return parallel_to_aec(BargainingEnv(**kwargs))
