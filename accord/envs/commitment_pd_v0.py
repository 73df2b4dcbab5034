"""``commitment_pd_v0``: a repeated prisoner's dilemma whose moves are commitments.

See :class:`accord.envs.pd.CommitmentPDEnv` for the spaces, the rewards and the theory.
"""

from __future__ import annotations

from typing import Any

from pettingzoo import AECEnv
from pettingzoo.utils.conversions import parallel_to_aec

from accord.envs.pd import MENU, CommitmentPDEnv, PDEnvParams

__all__ = ["MENU", "CommitmentPDEnv", "PDEnvParams", "env", "parallel_env"]


def parallel_env(**kwargs: Any) -> CommitmentPDEnv:
    """The env as a ``ParallelEnv`` (keyword arguments: the params)."""
    return CommitmentPDEnv(**kwargs)


def env(**kwargs: Any) -> AECEnv[str, Any, Any]:
    """The same env as an AEC env (PettingZoo's ``parallel_to_aec``)."""
    return parallel_to_aec(CommitmentPDEnv(**kwargs))
