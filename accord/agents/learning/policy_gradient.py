"""Independent policy-gradient learners in numpy: a linear softmax policy per agent.

Each agent learns alone from its own reward (independent learners; Tan, ICML 1993), with
REINFORCE and a learned baseline (Williams, "Simple statistical gradient-following
algorithms for connectionist reinforcement learning", Machine Learning 8, 1992; Sutton &
Barto, *Reinforcement Learning*, 2nd ed., §13.4). Agent ``i``'s policy over the actions
its mask allows is a softmax of linear scores of its observation ``x`` (plus a bias):

    π_i(a | x) ∝ exp(W_i[a] · x),     b_i(x) = v_i · x,

and after each episode of ``T`` steps, with ``G_t = Σ_{k ≥ t} γ^{k−t} r_k`` the
discounted return from step ``t``, the advantage ``δ_t = G_t − b_i(x_t)`` and the step
``η = lr / (1 + mean_t ‖x_t‖²)`` (a normalised step, so that the many active cells of a
local view do not blow the update up):

    W_i ← W_i + η · (1/T) Σ_t δ_t (e_{a_t} − π_i(· | x_t)) x_tᵀ,
    v_i ← v_i + η_v · (1/T) Σ_t δ_t x_t.

All agents are updated at once (their weights stacked in one array, the sums as
``numpy.einsum``), and every action is drawn from the learners' own seeded
:class:`numpy.random.Generator`: a training run is a pure function of its seeds.
:func:`train` runs any env with issue 14's common contracting interface (a menu
entry per episode through ``reset(options={"contract": k})``, action masks in
``infos[agent]["action_mask"]``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Episode",
    "PolicyGradient",
    "TrainLog",
    "contract_values",
    "evaluate",
    "play",
    "train",
]


class PolicyGradient:
    """Linear softmax policies with a linear baseline, one per agent (module docstring)."""

    def __init__(
        self,
        agents: Sequence[str],
        features: int,
        actions: int,
        rng: np.random.Generator,
        *,
        lr: float = 0.5,
        lr_value: float = 0.5,
        gamma: float = 0.95,
    ) -> None:
        if not agents or len(set(agents)) != len(agents):
            raise ValueError(f"agents must be distinct names, got {list(agents)}")
        if features < 1 or actions < 1:
            raise ValueError(f"features and actions must be >= 1, got {features}, {actions}")
        for name, value, top in (("lr", lr, 100.0), ("lr_value", lr_value, 100.0)):
            if not 0.0 < value <= top:
                raise ValueError(f"{name} must be in (0, {top}], got {value}")
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {gamma}")
        self.agents = tuple(agents)
        self.rng = rng
        self.lr, self.lr_value, self.gamma = lr, lr_value, gamma
        n = len(agents)
        self.weights = np.zeros((n, actions, features + 1))
        self.value = np.zeros((n, features + 1))

    @staticmethod
    def _with_bias(x: np.ndarray) -> np.ndarray:
        return np.concatenate([x, np.ones((*x.shape[:-1], 1))], axis=-1)

    def probabilities(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """``π(· | x)`` for observations ``x`` of shape ``(..., agents, features)``."""
        logits = np.einsum("nad,...nd->...na", self.weights, self._with_bias(x))
        if mask is not None:
            logits = np.where(mask > 0, logits, -np.inf)
        logits -= logits.max(axis=-1, keepdims=True)
        p: np.ndarray = np.exp(logits)
        p /= p.sum(axis=-1, keepdims=True)
        return p

    def act(
        self, x: np.ndarray, mask: np.ndarray | None = None, greedy: bool = False
    ) -> np.ndarray:
        """One action per agent for the stacked observations ``x`` ``(agents, features)``."""
        p = self.probabilities(x, mask)
        if greedy:
            return np.asarray(np.argmax(p, axis=-1))
        u = self.rng.random((len(p), 1))
        chosen: np.ndarray = np.minimum((p.cumsum(axis=-1) < u).sum(axis=-1), p.shape[-1] - 1)
        return chosen

    def act_one(
        self, agent: str, obs: np.ndarray, mask: np.ndarray | None = None, greedy: bool = False
    ) -> int:
        """One agent's action for its own observation (e.g. for a negotiated episode that
        asks each agent's policy in turn)."""
        i = self.agents.index(agent)
        logits = self.weights[i] @ np.append(np.asarray(obs, dtype=float), 1.0)
        if mask is not None:
            logits = np.where(np.asarray(mask) > 0, logits, -np.inf)
        if greedy:
            return int(np.argmax(logits))
        p = np.exp(logits - logits.max())
        p /= p.sum()
        return int(min(int((p.cumsum() < self.rng.random()).sum()), len(p) - 1))

    def update(self, episode: Episode) -> None:
        """One REINFORCE-with-baseline step on a finished episode (module docstring)."""
        x = self._with_bias(episode.observations)  # (T, n, d)
        t_len = len(x)
        if t_len == 0:
            return
        returns = np.zeros_like(episode.rewards)
        running = np.zeros(episode.rewards.shape[1])
        for t in range(t_len - 1, -1, -1):
            running = episode.rewards[t] + self.gamma * running
            returns[t] = running
        baseline = np.einsum("nd,tnd->tn", self.value, x)
        delta = returns - baseline
        p = self.probabilities(episode.observations, episode.masks)
        onehot = np.zeros_like(p)
        np.put_along_axis(onehot, episode.actions[..., None], 1.0, axis=-1)
        scale = 1.0 / (1.0 + float(np.mean(np.sum(x * x, axis=-1))))
        self.weights += (self.lr * scale / t_len) * np.einsum(
            "tn,tna,tnd->nad", delta, onehot - p, x
        )
        self.value += (self.lr_value * scale / t_len) * np.einsum("tn,tnd->nd", delta, x)


@dataclass
class Episode:
    """One episode's play steps, stacked: ``(T, agents, …)`` arrays."""

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    masks: np.ndarray
    features: np.ndarray
    """Each step's contract feature per agent (cells cleaned, sparse apples eaten)."""
    payoffs: np.ndarray
    """Each step's game payoff per agent, before transfers."""


@dataclass
class TrainLog:
    """Per episode: the menu entry played and each agent's totals."""

    contracts: list[int] = field(default_factory=list)
    returns: list[np.ndarray] = field(default_factory=list)
    payoffs: list[np.ndarray] = field(default_factory=list)
    features: list[np.ndarray] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)


def _stack(obs: Mapping[str, np.ndarray], agents: Sequence[str]) -> np.ndarray:
    return np.stack([obs[a] for a in agents])


def play(
    env: Any,
    learner: PolicyGradient,
    *,
    seed: int | None,
    contract: int | None,
    greedy: bool = False,
) -> Episode:
    """One episode of ``env`` with the learner's policies (no update). ``payoffs`` and
    ``features`` come from ``infos[agent]["payoff"]`` and ``["feature"]`` where the env
    reports them (the reward and 0 otherwise)."""
    options = None if contract is None else {"contract": contract}
    obs, infos = env.reset(seed=seed, options=options)
    agents = learner.agents
    xs, acts, rews, masks, feats, pays = [], [], [], [], [], []
    while env.agents:
        x = _stack(obs, agents)
        m = np.stack([infos[a]["action_mask"] for a in agents])
        a = learner.act(x, m, greedy)
        obs, rewards, _, _, infos = env.step({name: int(a[i]) for i, name in enumerate(agents)})
        r = np.array([float(rewards[n]) for n in agents])
        xs.append(x)
        acts.append(a)
        masks.append(m)
        rews.append(r)
        feats.append([int(infos[n].get("feature", 0)) for n in agents])
        pays.append([float(infos[n].get("payoff", r[i])) for i, n in enumerate(agents)])
    return Episode(
        np.array(xs),
        np.array(acts),
        np.array(rews),
        np.array(masks),
        np.array(feats),
        np.array(pays),
    )


def train(
    env: Any,
    learner: PolicyGradient,
    *,
    episodes: int,
    seed: int,
    contracts: Sequence[int] = (0,),
) -> TrainLog:
    """Train ``learner`` for ``episodes`` episodes of ``env``.

    Each episode plays a menu entry drawn uniformly from ``contracts`` with the
    learner's generator (stage 1 of Haupt et al.'s protocol when ``contracts`` spans the
    menu). The first episode is reset with ``seed``; the rest continue the env's own
    seeded sequence.
    """
    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes}")
    if not contracts:
        raise ValueError("contracts must name at least one menu entry")
    log = TrainLog()
    for k in range(episodes):
        contract = int(contracts[int(learner.rng.integers(len(contracts)))])
        ep = play(env, learner, seed=seed if k == 0 else None, contract=contract)
        learner.update(ep)
        log.contracts.append(contract)
        log.returns.append(ep.rewards.sum(axis=0))
        log.payoffs.append(ep.payoffs.sum(axis=0))
        log.features.append(ep.features.sum(axis=0))
        log.steps.append(len(ep.rewards))
    return log


def evaluate(
    env: Any,
    learner: PolicyGradient,
    *,
    episodes: int,
    seed: int,
    contract: int,
    greedy: bool = False,
) -> TrainLog:
    """Play ``episodes`` episodes under menu entry ``contract`` without learning."""
    log = TrainLog()
    for k in range(episodes):
        ep = play(env, learner, seed=seed if k == 0 else None, contract=contract, greedy=greedy)
        log.contracts.append(contract)
        log.returns.append(ep.rewards.sum(axis=0))
        log.payoffs.append(ep.payoffs.sum(axis=0))
        log.features.append(ep.features.sum(axis=0))
        log.steps.append(len(ep.rewards))
    return log


def contract_values(
    env: Any, learner: PolicyGradient, *, episodes: int, seed: int
) -> dict[str, list[float]]:
    """Each agent's mean reward per play step under each menu entry, with the learner's
    sampled play: stage 1's values, which
    :func:`~accord.agents.learning.two_stage.stage_two` turns into proposals and
    answers (Haupt et al. 2024, §5)."""
    values: dict[str, list[float]] = {a: [] for a in learner.agents}
    for k in range(len(env.contract_menu)):
        log = evaluate(env, learner, episodes=episodes, seed=seed, contract=k)
        steps = max(sum(log.steps), 1)
        total = np.sum(log.returns, axis=0)
        for i, a in enumerate(learner.agents):
            values[a].append(float(total[i]) / steps)
    return values
