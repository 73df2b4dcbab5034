"""accord's envs by name, for entry points that take a name (``accord rl train ENV``).

Only the names in :data:`ENVS` are importable through :func:`make`: a name a user types
never reaches ``importlib`` unchecked.
"""

from __future__ import annotations

import importlib
from typing import Any

from pettingzoo import ParallelEnv

__all__ = ["ENVS", "make"]

ENVS: dict[str, str] = {
    name: f"accord.envs.{name}"
    for name in (
        "bargaining_v0",
        "commitment_pd_v0",
        "defi_routing_v0",
        "fishery_v0",
        "matrix_dilemma_v0",
    )
}
"""Env name -> the module whose ``parallel_env(**params)`` builds it."""


def make(name: str, **params: Any) -> ParallelEnv:
    """The env ``name`` built with ``params`` (each env checks its own: unknown keys fail)."""
    if name not in ENVS:
        raise ValueError(f"unknown env {name!r}; known: {', '.join(sorted(ENVS))}")
    module = importlib.import_module(ENVS[name])
    return module.parallel_env(**params)
