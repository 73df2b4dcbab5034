"""``matrix_dilemma_v0``: n-player matrix social dilemmas with formal contracts on the device.

See :class:`accord.envs.matrix_dilemma.MatrixDilemmaEnv` for the games, the contracting
interface, the spaces and the rewards.
"""

from __future__ import annotations

from typing import Any

from pettingzoo import AECEnv
from pettingzoo.utils.conversions import parallel_to_aec

from accord.envs.matrix_dilemma import OBS_SIZE, PHASES, MatrixDilemmaEnv, MatrixEnvParams

__all__ = ["OBS_SIZE", "PHASES", "MatrixDilemmaEnv", "MatrixEnvParams", "env", "parallel_env"]


def parallel_env(**kwargs: Any) -> MatrixDilemmaEnv:
    """The env as a ``ParallelEnv`` (keyword arguments: the params and ``device``)."""
    return MatrixDilemmaEnv(**kwargs)


def env(**kwargs: Any) -> AECEnv[str, Any, Any]:
    """The same env as an AEC env (PettingZoo's ``parallel_to_aec``)."""
    return parallel_to_aec(MatrixDilemmaEnv(**kwargs))
