"""A numpy baseline for the envs: independent tabular Q-learning.

The learners live in :mod:`accord.agents.learning.tabular` (the agents layer, so that the
two-stage contracting protocol, :mod:`accord.agents.learning.two_stage`, builds on them);
this module keeps their 0.1 import path.
"""

from __future__ import annotations

from accord.agents.learning.tabular import (
    Discretiser,
    Options,
    Policy,
    QLearner,
    Schedule,
    TrainLog,
    constant,
    evaluate,
    linear_decay,
    midpoints,
    train,
)

__all__ = [
    "Discretiser",
    "Options",
    "Policy",
    "QLearner",
    "Schedule",
    "TrainLog",
    "constant",
    "evaluate",
    "linear_decay",
    "midpoints",
    "train",
]
