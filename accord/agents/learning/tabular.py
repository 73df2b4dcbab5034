"""A numpy baseline for the envs: independent tabular Q-learning.

Each agent keeps its own table ``Q[s, a]`` over a discretised observation ``s`` and
learns from its own reward only (independent learners; Tan, "Multi-Agent Reinforcement
Learning: Independent vs. Cooperative Agents", ICML 1993). The update is Watkins'
Q-learning (Watkins & Dayan, "Q-learning", Machine Learning 8, 1992; Sutton & Barto,
*Reinforcement Learning*, 2nd ed., eq. 6.8):

    Q[s, a] ← Q[s, a] + α·(r + γ·max_b Q[s', b]·(1 − done) − Q[s, a]),

with ``α = 1/N(s, a)`` by default (the sample average: with ``γ = 0`` the table is then
exactly each action's mean reward in each state) or a constant step. Actions are
ε-greedy, drawn from the learner's own seeded :class:`numpy.random.Generator`; the
greedy action breaks ties towards the lowest index, so that a learner that has seen no
difference keeps the first action of the menu (the envs put "abstain" / the first
program there).

:class:`Discretiser` turns an observation vector into a table key: for each chosen
entry, the index of the bin it falls in (``numpy.searchsorted`` on the bin edges).
:func:`train` and :func:`evaluate` run a PettingZoo ``ParallelEnv`` with these learners
or with any fixed policy. :func:`train` can anneal exploration (``epsilon``: a schedule
by episode, e.g. :func:`linear_decay`: explore uniformly first, then exploit; with it,
independent learners in a stag hunt settle on the risk-dominant equilibrium, as noisy
learning selects it: Kandori, Mailath & Rob, Econometrica 1993; Young, Econometrica 1993)
and pass each episode's ``reset`` options (e.g. the contract to play under).

The learners live in the agents layer (they know no env, only observations and rewards)
so that :mod:`accord.agents.learning.two_stage` can build on them;
:mod:`accord.envs.learners` re-exports them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Policy = Callable[[np.ndarray], int]
"""A fixed policy: an observation vector in, an action index out."""


@dataclass(frozen=True)
class Discretiser:
    """Observation vector → tuple of bin indices, one per entry in ``edges``.

    ``edges`` maps an entry's index in the vector to its increasing bin edges; a value
    ``x`` falls in bin ``searchsorted(edges, x, side="right")``, so ``k`` edges make
    ``k + 1`` bins.
    """

    edges: Mapping[int, Sequence[float]]

    def __post_init__(self) -> None:
        for index, e in self.edges.items():
            if index < 0:
                raise ValueError(f"edges: entry index {index} is negative")
            if any(b <= a for a, b in itertools.pairwise(e)):
                raise ValueError(f"edges[{index}] must be strictly increasing, got {list(e)}")

    def __call__(self, obs: np.ndarray) -> tuple[int, ...]:
        return tuple(
            int(np.searchsorted(np.asarray(e, dtype=float), float(obs[i]), side="right"))
            for i, e in sorted(self.edges.items())
        )


def midpoints(values: Sequence[float]) -> list[float]:
    """Bin edges halfway between consecutive sorted distinct ``values``: one bin each."""
    v = sorted(set(values))
    return [(a + b) / 2 for a, b in itertools.pairwise(v)]


@dataclass
class QLearner:
    """One agent's tabular Q-learner (module docstring).

    ``alpha=None`` uses the sample-average step ``1/N(s, a)``.
    """

    n_actions: int
    state: Callable[[np.ndarray], Hashable]
    rng: np.random.Generator
    epsilon: float = 0.1
    gamma: float = 0.0
    alpha: float | None = None
    q: dict[Hashable, np.ndarray] = field(default_factory=dict)
    n: dict[Hashable, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.n_actions < 1:
            raise ValueError(f"n_actions must be at least 1, got {self.n_actions}")
        if not 0.0 <= self.epsilon <= 1.0:
            raise ValueError(f"epsilon must be in [0, 1], got {self.epsilon}")
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {self.gamma}")
        if self.alpha is not None and not 0.0 < self.alpha <= 1.0:
            raise ValueError(f"alpha must be in (0, 1] or None, got {self.alpha}")

    def _row(self, s: Hashable) -> np.ndarray:
        row = self.q.get(s)
        if row is None:
            row = self.q[s] = np.zeros(self.n_actions)
            self.n[s] = np.zeros(self.n_actions, dtype=np.int64)
        return row

    def greedy(self, obs: np.ndarray) -> int:
        """The action with the highest value in ``obs``'s state (lowest index on ties)."""
        return int(np.argmax(self._row(self.state(obs))))

    def act(self, obs: np.ndarray) -> int:
        """ε-greedy: a uniformly random action with probability ε, else :meth:`greedy`."""
        if self.rng.random() < self.epsilon:
            return int(self.rng.integers(self.n_actions))
        return self.greedy(obs)

    def update(
        self, obs: np.ndarray, action: int, reward: float, next_obs: np.ndarray, done: bool
    ) -> None:
        """One Q-learning step on the transition ``(obs, action, reward, next_obs)``."""
        s = self.state(obs)
        row = self._row(s)
        self.n[s][action] += 1
        target = reward
        if self.gamma > 0.0 and not done:
            target += self.gamma * float(np.max(self._row(self.state(next_obs))))
        step = self.alpha if self.alpha is not None else 1.0 / float(self.n[s][action])
        row[action] += step * (target - row[action])

    def policy(self) -> dict[Hashable, int]:
        """The greedy action of every state seen."""
        return {s: int(np.argmax(row)) for s, row in self.q.items()}


@dataclass(frozen=True)
class TrainLog:
    """Mean reward per step of each agent, episode by episode."""

    rewards: dict[str, list[float]]


Schedule = Callable[[int], float]
"""Episode index in, exploration rate ε out."""
Options = Callable[[int], Mapping[str, Any] | None]
"""Episode index in, that episode's ``reset`` options out."""


def linear_decay(start: float, end: float, episodes: int) -> Schedule:
    """ε falling linearly from ``start`` at episode 0 to ``end`` at ``episodes − 1``,
    then staying at ``end``."""
    for name, v in (("start", start), ("end", end)):
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {v}")
    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes}")

    def epsilon(episode: int) -> float:
        if episodes == 1 or episode >= episodes - 1:
            return end
        return start + (end - start) * episode / (episodes - 1)

    return epsilon


def train(
    env: Any,
    learners: Mapping[str, QLearner],
    *,
    episodes: int,
    seed: int,
    epsilon: Schedule | None = None,
    options: Options | None = None,
) -> TrainLog:
    """Run ``episodes`` episodes of ``env`` (a ``ParallelEnv``), updating every learner.

    The first episode is reset with ``seed``, the rest continue the env's own seeded
    sequence, so a training run is a pure function of the seeds. ``epsilon`` sets every
    learner's exploration rate at the start of each episode; ``options`` gives each
    episode's ``reset`` options.
    """
    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes}")
    log: dict[str, list[float]] = {a: [] for a in learners}
    for episode in range(episodes):
        if epsilon is not None:
            rate = epsilon(episode)
            for learner in learners.values():
                learner.epsilon = rate
        opts = dict(options(episode) or {}) if options is not None else None
        obs, _ = env.reset(seed=seed, options=opts) if episode == 0 else env.reset(options=opts)
        totals = dict.fromkeys(learners, 0.0)
        steps = 0
        while env.agents:
            actions = {a: learners[a].act(obs[a]) for a in env.agents}
            nxt, rewards, terms, truncs, _ = env.step(actions)
            for a, learner in learners.items():
                done = bool(terms[a] or truncs[a])
                learner.update(obs[a], actions[a], float(rewards[a]), nxt[a], done)
                totals[a] += float(rewards[a])
            obs = nxt
            steps += 1
        for a in learners:
            log[a].append(totals[a] / max(steps, 1))
    return TrainLog(log)


def evaluate(
    env: Any,
    policies: Mapping[str, Policy],
    *,
    episodes: int,
    seed: int,
    options: Mapping[str, Any] | None = None,
) -> dict[str, float]:
    """Each agent's mean reward per step under fixed ``policies`` (no learning), every
    episode reset with ``options``."""
    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes}")
    totals = dict.fromkeys(policies, 0.0)
    steps = 0
    opts = dict(options) if options is not None else None
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed, options=opts) if episode == 0 else env.reset(options=opts)
        while env.agents:
            actions = {a: policies[a](obs[a]) for a in env.agents}
            obs, rewards, _, _, _ = env.step(actions)
            for a in policies:
                totals[a] += float(rewards[a])
            steps += 1
    return {a: t / max(steps, 1) for a, t in totals.items()}


def constant(action: int) -> Policy:
    """The policy that always plays ``action``."""

    def play(obs: np.ndarray) -> int:
        return action

    return play
