"""A PettingZoo ``ParallelEnv`` as one parameter-shared policy needs to see it.

Parameter sharing (Terry et al., "Revisiting Parameter Sharing in Multi-Agent Deep
Reinforcement Learning", 2020; Gupta et al., AAMAS 2017) trains one policy for every
agent by treating each agent as one entry of a vectorised single-agent env. SuperSuit's
``pettingzoo_env_to_vec_env_v1`` does that conversion; what it asks of the env, and what
this wrapper provides:

* **Homogeneous spaces.** Every agent has the same observation and action space (else a
  ``ValueError`` names the agents that differ; SuperSuit's ``pad_observations_v0`` /
  ``pad_action_space_v0`` pad such envs, at the cost of meaning).
* **A flat observation.** A ``Dict`` observation ``{"observation": Box, "action_mask":
  …}`` (PettingZoo's classic convention, as in ``bargaining_v0``) becomes its ``Box``;
  the mask moves to ``infos[agent]["action_mask"]``, where the issue-14 envs put theirs.
* **Action masks.** Every agent's info carries an ``action_mask`` (int8, 1 = legal): the
  env's, or all ones. An agent with no legal action (not its turn: ``bargaining_v0``
  masks all actions of the waiting player, whose action is ignored) gets a mask that
  allows action 0 only, so that a masked policy is never asked to sample from an empty
  set; ``infos[agent]["acting"]`` says whether its action counted.
* **Agents that leave.** SuperSuit's vector env needs every agent in every step. An agent
  that left the episode before the others keeps a slot: a zero observation (clipped into
  its space), reward 0, ``terminated`` and an all-but-0 masked action, until the episode
  ends ("black death", Terry et al. 2020 §4). SuperSuit's own ``black_death_v3`` is not
  used: it reports the episode done only when every agent is terminated *and* truncated
  (``&`` where ``|`` is meant, SuperSuit 3.11), so an episode that ends by termination
  alone never ends, and it never marks the leaving agent done.
* **Contracts.** For the issue-14 envs (``contract_menu``; ``reset(options={"contract":
  k})``), ``contract=k`` plays every episode, the automatic resets of the vector env
  included, under menu entry ``k``; ``contract="sample"`` draws each episode's entry
  uniformly from the menu (stage 1 of Haupt et al. 2024's two-stage protocol: train on
  contracts sampled from the space). The draws come from a generator seeded by the last
  seeded ``reset`` (0 at first), so a training run stays a pure function of its seeds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import gymnasium
import numpy as np
from pettingzoo import ParallelEnv
from pettingzoo.utils.wrappers import BaseParallelWrapper

__all__ = ["ContractChoice", "SharedPolicyEnv", "flat_space"]

ContractChoice = int | Literal["sample"] | None
"""Which contract the episodes play: a menu index, ``"sample"`` (uniform per episode) or
``None`` (the env's default)."""


def flat_space(space: gymnasium.spaces.Space[Any]) -> gymnasium.spaces.Box:
    """The ``Box`` a shared policy reads: ``space`` itself, or a ``Dict``'s ``observation``."""
    if isinstance(space, gymnasium.spaces.Dict) and "observation" in space.spaces:
        space = space.spaces["observation"]
    if not isinstance(space, gymnasium.spaces.Box):
        raise ValueError(
            f"a shared policy needs a Box observation (or a Dict with a Box 'observation'), "
            f"got {space}"
        )
    return space


class SharedPolicyEnv(BaseParallelWrapper):  # type: ignore[misc]
    """``env`` with homogeneous flat spaces, masks in the infos, fixed agent slots and a
    contract per episode (module docstring)."""

    def __init__(self, env: ParallelEnv, contract: ContractChoice = None) -> None:
        super().__init__(env)
        agents = list(env.possible_agents)
        if not agents:
            raise ValueError("the env has no agents")
        first = agents[0]
        self._obs_space = flat_space(env.observation_space(first))
        act_space = env.action_space(first)
        if not isinstance(act_space, gymnasium.spaces.Discrete):
            raise ValueError(f"a shared policy here needs a Discrete action space, got {act_space}")
        self._act_space: gymnasium.spaces.Discrete = act_space
        odd = [
            a
            for a in agents
            if flat_space(env.observation_space(a)) != self._obs_space
            or env.action_space(a) != self._act_space
        ]
        if odd:
            raise ValueError(
                f"agents {odd} have other spaces than {first!r}: a shared policy needs one "
                "observation and one action space (pad them, e.g. supersuit.pad_observations_v0)"
            )
        self.contract = _check_contract(env, contract)
        self.metadata = dict(getattr(env, "metadata", {}))
        self.possible_agents: list[str] = agents
        self.agents: list[str] = []
        self._draws = np.random.default_rng(0)
        self._dummy = np.clip(
            np.zeros(self._obs_space.shape, dtype=self._obs_space.dtype),
            self._obs_space.low,
            self._obs_space.high,
        ).astype(self._obs_space.dtype)
        self._gone: set[str] = set()

    @property
    def n_actions(self) -> int:
        return int(self._act_space.n)

    def observation_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
        return self._obs_space

    def action_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
        return self._act_space

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        if seed is not None:
            self._draws = np.random.default_rng(seed)
        merged = dict(options or {})
        if self.contract == "sample":
            menu = self.env.unwrapped.contract_menu
            merged.setdefault("contract", int(self._draws.integers(len(menu))))
        elif self.contract is not None:
            merged.setdefault("contract", self.contract)
        obs, infos = self.env.reset(seed=seed, options=merged or None)
        self.agents = list(self.possible_agents)
        self._gone = set()
        full_obs, _, _, _, full_infos = self._complete(obs, {}, {}, {}, infos)
        return full_obs, full_infos

    def step(
        self, actions: Mapping[str, Any]
    ) -> tuple[
        dict[str, np.ndarray],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:
        live = list(self.env.agents)
        obs, rewards, terms, truncs, infos = self.env.step(
            {a: int(actions[a]) for a in live if a in actions}
        )
        out = self._complete(obs, rewards, terms, truncs, infos)
        if not self.env.agents:
            self.agents = []
        return out

    def _complete(
        self,
        obs: Mapping[str, Any],
        rewards: Mapping[str, float],
        terms: Mapping[str, bool],
        truncs: Mapping[str, bool],
        infos: Mapping[str, dict[str, Any]],
    ) -> tuple[
        dict[str, np.ndarray],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:
        """Every possible agent's entry: the env's, or a left agent's black-death entry."""
        o: dict[str, np.ndarray] = {}
        r: dict[str, float] = {}
        te: dict[str, bool] = {}
        tr: dict[str, bool] = {}
        inf: dict[str, dict[str, Any]] = {}
        for a in self.possible_agents:
            info = dict(infos.get(a, {}))
            if a in obs and a not in self._gone:
                raw = obs[a]
                mask = info.get("action_mask")
                if isinstance(raw, Mapping):
                    mask = raw.get("action_mask", mask)
                    raw = raw["observation"]
                o[a] = np.asarray(raw, dtype=self._obs_space.dtype)
                r[a] = float(rewards.get(a, 0.0))
                te[a] = bool(terms.get(a, False))
                tr[a] = bool(truncs.get(a, False))
            else:
                self._gone.add(a)
                mask = None
                o[a] = self._dummy.copy()
                r[a] = float(rewards.get(a, 0.0))
                te[a] = True
                tr[a] = bool(truncs.get(a, False))
            info["action_mask"], info["acting"] = self._mask(mask, a in self._gone)
            inf[a] = info
            if te[a] or tr[a]:
                self._gone.add(a)
        return o, r, te, tr, inf

    def _mask(self, mask: Any, gone: bool) -> tuple[np.ndarray, bool]:
        n = self.n_actions
        m = np.ones(n, dtype=np.int8) if mask is None else np.asarray(mask, dtype=np.int8)
        if m.shape != (n,):
            raise ValueError(f"action_mask has shape {m.shape}, the action space {n} actions")
        if gone or not m.any():
            forced = np.zeros(n, dtype=np.int8)
            forced[0] = 1
            return forced, False
        return m, True


def _check_contract(env: ParallelEnv, contract: object) -> ContractChoice:
    if contract is None:
        return None
    menu = getattr(env.unwrapped, "contract_menu", None)
    if menu is None:
        raise ValueError(
            f"contract={contract!r}: {env.metadata.get('name', env)} has no contract_menu"
        )
    if contract == "sample":
        return "sample"
    if type(contract) is not int or not 0 <= contract < len(menu):
        raise ValueError(
            f"contract must be 'sample' or a menu index in [0, {len(menu)}), got {contract!r}"
        )
    return contract
