"""Parameter-shared PPO on accord's envs: Stable-Baselines3 through SuperSuit (``rl-sb3``).

One policy plays every agent (parameter sharing; Terry et al. 2020, Gupta et al. 2017):
:class:`~accord.agents.learning.shared_policy.SharedPolicyEnv` makes the env what a
shared policy needs (flat observations, masks in the infos, fixed agent slots, a
contract per episode), SuperSuit's ``pettingzoo_env_to_vec_env_v1`` makes each agent one
entry of a vector env and ``concat_vec_envs_v1`` stacks ``copies`` copies of it, and
Stable-Baselines3's PPO (Schulman et al., "Proximal Policy Optimization Algorithms",
2017) trains on that vector, or sb3-contrib's ``MaskablePPO`` (Huang & Ontañón, "A
Closer Look at Invalid Action Masking in Policy Gradient Algorithms", 2022) when the env
masks actions.

The last hop, from SuperSuit's gymnasium vector to SB3's ``VecEnv``, is
:class:`AgentVecEnv` rather than SuperSuit's ``SB3VecEnvWrapper``: that wrapper drops the
seed of ``reset`` (so a run would not be a function of its seed) and cannot serve
``env_method("action_masks")``, which ``MaskablePPO`` reads the masks through.

**Episode ends.** The envs' horizons are their games' (a 10-round dilemma ends after
round 10; nothing follows), so the end of an episode is not bootstrapped, whether the
env calls it a termination or a truncation (as SuperSuit's SB3 wrapper does too).

**Determinism.** :func:`train` pins torch to one thread, seeds SB3 (which seeds Python's
``random``, NumPy's legacy global generator and torch's) and every env copy
(``seed + i``), and puts the process's global random states and torch's thread count back
as they were when it returns: the same settings give bit-identical weights and curves on
one installation (tested). Across CPUs or torch builds, float results may differ in the
last bits (torch does not promise more).

Needs the ``rl-sb3`` extra (``pip install 'accord[rl-sb3]'``; docs/rl.md).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import gymnasium
import numpy as np
import supersuit
import torch
from pettingzoo import ParallelEnv
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sb3_contrib import MaskablePPO
from stable_baselines3 import PPO
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.vec_env import VecEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices, VecEnvStepReturn

from accord.agents.learning.shared_policy import ContractChoice, SharedPolicyEnv

__all__ = [
    "AgentVecEnv",
    "Evaluation",
    "PPOSettings",
    "TrainResult",
    "contained_randomness",
    "evaluate",
    "train",
    "vectorise",
]

EnvFactory = Callable[[], ParallelEnv]
"""Builds a fresh env (e.g. ``lambda: commitment_pd_v0.parallel_env(rounds=5)``)."""


class PPOSettings(BaseModel):
    """A training run's settings; unknown keys are errors. PPO's defaults are SB3's, but
    for shorter rollouts (the envs' episodes are short) and an entropy bonus."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timesteps: int = Field(20_000, ge=1, le=10**9, description="vector steps x entries")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="SB3's seed; copy i resets with seed+i")
    copies: int = Field(4, ge=1, le=256, description="env copies; each agent is one entry")
    n_steps: int = Field(64, ge=2, le=100_000, description="steps per entry per rollout")
    batch_size: int = Field(64, ge=2, le=1_000_000, description="PPO minibatch")
    n_epochs: int = Field(4, ge=1, le=100, description="PPO epochs per rollout")
    learning_rate: float = Field(3e-4, gt=0.0, le=1.0, allow_inf_nan=False)
    gamma: float = Field(0.99, ge=0.0, le=1.0, allow_inf_nan=False)
    gae_lambda: float = Field(0.95, ge=0.0, le=1.0, allow_inf_nan=False)
    clip_range: float = Field(0.2, gt=0.0, le=1.0, allow_inf_nan=False)
    ent_coef: float = Field(0.01, ge=0.0, le=1.0, allow_inf_nan=False)
    hidden: tuple[int, ...] = Field((64, 64), description="the MLP's hidden layer widths")
    contract: int | Literal["sample"] | None = Field(
        None, description="menu index every episode plays, 'sample', or the env's default"
    )
    masked: bool | None = Field(None, description="MaskablePPO (None: if the env masks)")
    eval_every: int = Field(0, ge=0, le=10**9, description="evaluate every so many (0: end)")
    eval_episodes: int = Field(8, ge=1, le=100_000)
    eval_seed: int = Field(1_000_003, ge=0, le=2**63 - 1)
    eval_greedy: bool = Field(True, description="evaluate the argmax policy (else: sample)")

    @field_validator("hidden")
    @classmethod
    def _widths(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if not 1 <= len(v) <= 8 or any(type(w) is not int or not 1 <= w <= 4096 for w in v):
            raise ValueError(f"hidden must be 1 to 8 widths in [1, 4096], got {v}")
        return v


@dataclass(frozen=True)
class Evaluation:
    """The policy's play (greedy, or sampled from a seeded generator) over ``episodes``
    episodes from one seed."""

    episodes: int
    returns: dict[str, float]
    """Each agent's mean episode return."""
    action_counts: tuple[int, ...]
    """How often each action was chosen by an agent whose action counted."""

    @property
    def mean_return(self) -> float:
        """The agents' mean episode return (welfare per agent)."""
        return float(np.mean(list(self.returns.values())))

    @property
    def action_shares(self) -> tuple[float, ...]:
        total = sum(self.action_counts)
        return tuple(c / total if total else 0.0 for c in self.action_counts)


@dataclass(frozen=True)
class TrainResult:
    """A trained model and its learning curve: ``(timesteps, evaluation)`` points, the
    first at 0 (the untrained policy)."""

    model: PPO | MaskablePPO
    settings: PPOSettings
    curve: tuple[tuple[int, Evaluation], ...]

    @property
    def final(self) -> Evaluation:
        return self.curve[-1][1]


class AgentVecEnv(VecEnv):
    """SuperSuit's stacked vector of agents as an SB3 ``VecEnv``, with seeds and masks."""

    def __init__(self, venv: Any, seed: int | None) -> None:
        super().__init__(venv.num_envs, venv.observation_space, venv.action_space)
        self.venv = venv
        self._next_seed = seed
        self._actions: np.ndarray | None = None
        self._masks = np.ones((self.num_envs, int(venv.action_space.n)), dtype=bool)

    def _read_masks(self, infos: Sequence[dict[str, Any]]) -> None:
        self._masks = np.stack([np.asarray(i["action_mask"], dtype=bool) for i in infos])

    def reset(self) -> np.ndarray:
        seed, self._next_seed = self._next_seed, None
        obs, infos = self.venv.reset(seed=seed)
        self.reset_infos = list(infos)
        self._read_masks(infos)
        return np.asarray(obs)

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self) -> VecEnvStepReturn:
        obs, rewards, terms, truncs, infos = self.venv.step(self._actions)
        self._read_masks(infos)
        dones = np.asarray(terms, dtype=bool) | np.asarray(truncs, dtype=bool)
        return np.asarray(obs), np.asarray(rewards, dtype=np.float32), dones, list(infos)

    def action_masks(self) -> np.ndarray:
        """The legal actions of each entry's next step (``MaskablePPO`` reads these)."""
        return self._masks.copy()

    def seed(self, seed: int | None = None) -> list[int | None]:
        self._next_seed = seed
        return [None if seed is None else seed + i for i in range(self.num_envs)]

    def close(self) -> None:
        self.venv.close()

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        if attr_name == "render_mode":
            return [None] * len(self._indices(indices))
        raise AttributeError(f"AgentVecEnv has no per-entry attribute {attr_name!r}")

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        raise AttributeError(f"AgentVecEnv sets no per-entry attribute ({attr_name!r})")

    def has_attr(self, attr_name: str) -> bool:
        return attr_name == "action_masks"

    def env_method(
        self, method_name: str, *args: Any, indices: VecEnvIndices = None, **kwargs: Any
    ) -> list[Any]:
        if method_name != "action_masks":
            raise AttributeError(f"AgentVecEnv has no per-entry method {method_name!r}")
        return list(self._masks[self._indices(indices)])

    def env_is_wrapped(self, wrapper_class: type, indices: VecEnvIndices = None) -> list[bool]:
        return [False] * len(self._indices(indices))

    def _indices(self, indices: VecEnvIndices) -> list[int]:
        if indices is None:
            return list(range(self.num_envs))
        if isinstance(indices, int):
            return [indices]
        return list(indices)


def vectorise(
    make_env: EnvFactory, copies: int = 1, contract: ContractChoice = None, seed: int | None = 0
) -> AgentVecEnv:
    """``copies`` copies of the env, each agent one entry (``copies x agents`` entries)."""
    shared = SharedPolicyEnv(make_env(), contract)
    agents = supersuit.pettingzoo_env_to_vec_env_v1(shared)
    stacked = supersuit.concat_vec_envs_v1(agents, copies, num_cpus=0, base_class="gymnasium")
    return AgentVecEnv(stacked, seed)


def _env_masks(make_env: EnvFactory) -> bool:
    """Whether the env masks actions (a Dict observation with a mask, or a mask in infos)."""
    env = make_env()
    if isinstance(env.observation_space(env.possible_agents[0]), gymnasium.spaces.Dict):
        return True
    _, infos = env.reset(seed=0)
    return any("action_mask" in info for info in infos.values())


@contextmanager
def contained_randomness() -> Iterator[None]:
    """Run with one torch thread; put the global random states and threads back after.

    SB3 seeds Python's ``random``, NumPy's global generator and torch's: the rest of
    accord reads none of them, and this keeps a training run from changing them for
    whatever else runs in the process.
    """
    state = random.getstate()
    legacy = np.random.get_state()
    torch_state = torch.random.get_rng_state()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.random.set_rng_state(torch_state)
        np.random.set_state(legacy)
        random.setstate(state)


def train(
    make_env: EnvFactory,
    settings: PPOSettings | None = None,
    *,
    progress: Callable[[int, Evaluation], None] | None = None,
) -> TrainResult:
    """Train one shared policy for every agent of ``make_env()``'s env (module docstring).

    The policy (greedy unless ``eval_greedy`` is false) is evaluated before training,
    every ``eval_every`` timesteps and at the end, on ``eval_episodes`` episodes from
    ``eval_seed``, under the same contract choice; ``progress`` sees each point.
    """
    settings = settings or PPOSettings()
    masked = _env_masks(make_env) if settings.masked is None else settings.masked
    with contained_randomness():
        venv = vectorise(make_env, settings.copies, settings.contract, settings.seed)
        algo = MaskablePPO if masked else PPO
        model = algo(
            "MlpPolicy",
            venv,
            n_steps=settings.n_steps,
            batch_size=settings.batch_size,
            n_epochs=settings.n_epochs,
            learning_rate=settings.learning_rate,
            gamma=settings.gamma,
            gae_lambda=settings.gae_lambda,
            clip_range=settings.clip_range,
            ent_coef=settings.ent_coef,
            policy_kwargs={"net_arch": list(settings.hidden)},
            seed=settings.seed,
            device="cpu",
            verbose=0,
        )
        # A logger with no outputs: left to itself, SB3 makes an empty SB3-<time> folder
        # in the temporary directory at every learn() call, even at verbose=0.
        model.set_logger(Logger(folder=None, output_formats=[]))
        every = settings.eval_every or settings.timesteps
        curve: list[tuple[int, Evaluation]] = []
        while True:
            point = evaluate(
                model,
                make_env,
                episodes=settings.eval_episodes,
                seed=settings.eval_seed,
                contract=settings.contract,
                greedy=settings.eval_greedy,
            )
            curve.append((int(model.num_timesteps), point))
            if progress is not None:
                progress(int(model.num_timesteps), point)
            if model.num_timesteps >= settings.timesteps:
                break
            chunk = min(every, settings.timesteps - model.num_timesteps)
            model.learn(chunk, reset_num_timesteps=False)
        venv.close()
    return TrainResult(model, settings, tuple(curve))


def evaluate(
    model: PPO | MaskablePPO,
    make_env: EnvFactory,
    *,
    episodes: int = 8,
    seed: int = 1_000_003,
    contract: ContractChoice = None,
    greedy: bool = True,
) -> Evaluation:
    """The shared policy's returns on a fresh env: its argmax actions, or (``greedy``
    false) actions sampled from its distribution with a generator seeded by ``seed``."""
    env = SharedPolicyEnv(make_env(), contract)
    draws = np.random.default_rng(seed)
    n = env.n_actions
    totals = dict.fromkeys(env.possible_agents, 0.0)
    counts = np.zeros(n, dtype=np.int64)
    with torch.no_grad():
        for episode in range(episodes):
            obs, infos = env.reset(seed=seed if episode == 0 else None)
            while env.agents:
                agents = env.possible_agents
                batch = np.stack([obs[a] for a in agents])
                masks = np.stack([infos[a]["action_mask"].astype(bool) for a in agents])
                acts = _act(model, batch, masks, greedy, draws)
                actions = {a: int(acts[k]) for k, a in enumerate(agents)}
                for a in agents:
                    if infos[a]["acting"]:
                        counts[actions[a]] += 1
                obs, rewards, _, _, infos = env.step(actions)
                for a, r in rewards.items():
                    totals[a] += r
    returns = {a: t / episodes for a, t in totals.items()}
    return Evaluation(episodes, returns, tuple(int(c) for c in counts))


def _act(
    model: PPO | MaskablePPO,
    batch: np.ndarray,
    masks: np.ndarray,
    greedy: bool,
    draws: np.random.Generator,
) -> np.ndarray:
    """Each row's action: the policy's argmax, or a draw from its (masked) distribution
    by inverse CDF on ``draws`` (not torch's global generator, which training seeds)."""
    obs, _ = model.policy.obs_to_tensor(batch)
    dist: Any
    if isinstance(model, MaskablePPO):
        dist = model.policy.get_distribution(obs, action_masks=masks)
    else:
        dist = model.policy.get_distribution(obs)
    probs: np.ndarray = dist.distribution.probs.numpy().astype(np.float64)
    if greedy:
        picked: np.ndarray = np.argmax(probs, axis=1)
        return picked
    cdf = np.cumsum(probs, axis=1)
    u = draws.random(len(probs))[:, None] * cdf[:, -1:]
    drawn: np.ndarray = np.minimum((cdf <= u).sum(axis=1), probs.shape[1] - 1)
    return drawn
