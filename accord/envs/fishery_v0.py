"""``fishery_v0``: the GovSim common-pool fishery on the device, as a ``ParallelEnv``.

Each fisher asks for a catch each round; the asks are harvest transactions on the lake
contract (:class:`accord.contracts.fishery.Fishery`), served in the order of the device's
ordering rule; the round's close regrows the stock or collapses the lake (GovSim: Piatti
et al., NeurIPS 2024; :mod:`accord.mechanisms.commons`). The season is a
:class:`~accord.games.fishery_session.FisherySession`.

**The common contracting interface** (shared with the matrix and gridworld envs):

- ``contract_space`` (:func:`~accord.mechanisms.contracting.fishery_space`: a quota ``q``
  and a penalty ``p`` per ton over it, paid to the others) and ``contract_menu``
  (``None``, then every ``(q, p)`` of the params' ``quotas`` × ``penalties``);
- ``reset(seed=..., options={"contract": k})`` plays the season under menu entry ``k``,
  every fisher having accepted (deposits locked on the device), with no negotiation;
  without the option, the params' ``contract``;
- with ``negotiate=True`` (and no ``contract`` option) the season opens with a
  **proposal** step (the proposer's action indexes the menu; the others' are ignored)
  and an **acceptance** step (the others: 1 accept, 0 reject). An action outside
  ``infos[agent]["action_mask"]`` counts as the fallback (propose nothing, reject) and
  is flagged ``infos[agent]["invalid"]``.

**Actions** (``Discrete(max(capacity + 1, len(menu)))``): in play, the ask in tons (more
than the stock is served what is left). **Rewards**: the catch plus the net contract
transfer, both in tons (one base unit of the fish asset is one ton), so the fishers'
rewards sum to the round's total catch. Gas is in ``infos[agent]["gas"]`` (fee asset,
not in rewards).

**Observation** (``Box`` in ``[0, 1]``, ``12 + fishers`` entries): the next step's phase
(one-hot: propose, accept, play); the proposed and the in-force quota and penalty,
normalised by the menu's largest; whether a contract is in force; the share of rounds
played; the stock and the threshold over the capacity; the fisher's own last catch and
the others' (in fisher order), over the capacity; 1 before the first round.

**Infos**: ``phase``, ``action_mask``, ``round``, ``contract`` (menu index or ``None``),
``transfer`` (this step's net, tons), ``catch``, ``stock``, ``collapsed``, ``gas``,
``invalid``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium
import numpy as np
from pettingzoo import AECEnv
from pettingzoo.utils.conversions import parallel_to_aec
from pydantic import Field, model_validator

from accord.device import DeviceConfig
from accord.envs.base import DeviceEnv, StepResult, check_render_mode
from accord.games.fishery_session import FisheryParams, FisherySession, RoundReport, fisher_names

__all__ = ["PHASES", "FisheryEnv", "FisheryEnvParams", "env", "parallel_env"]

PHASES: tuple[str, ...] = ("propose", "accept", "play")
_ACCEPT = 1


class FisheryEnvParams(FisheryParams):
    """The season's parameters; the env defaults to no negotiation and no contract."""

    negotiate: bool = Field(False, description="the season opens with a proposal step")
    contract: int = Field(0, ge=0, description="menu entry in force without negotiation")

    @model_validator(mode="after")
    def _contract_in_menu(self) -> FisheryEnvParams:
        if self.contract >= len(self.menu):
            raise ValueError(f"contract must index the menu [0, {len(self.menu) - 1}]")
        return self


class FisheryEnv(DeviceEnv):
    """The GovSim lake as a ``ParallelEnv`` (module docstring)."""

    metadata: ClassVar[dict[str, Any]] = {
        "name": "fishery_v0",
        "render_modes": [],
        "is_parallelizable": True,
    }

    def __init__(
        self,
        render_mode: str | None = None,
        device: DeviceConfig | Mapping[str, Any] | None = None,
        **params: Any,
    ) -> None:
        check_render_mode(render_mode)
        self.params = FisheryEnvParams.model_validate(params)
        if device is None:
            self.config = DeviceConfig(fee_market="first_price")
        elif isinstance(device, DeviceConfig):
            self.config = device
        else:
            self.config = DeviceConfig.model_validate(dict(device))
        p = self.params
        names = list(fisher_names(p.fishers))
        self.contract_space = p.space
        self._terms = p.menu
        self.contract_menu: tuple[tuple[int, ...] | None, ...] = tuple(
            None if t is None else (t.quota, t.penalty) for t in self._terms
        )
        self.obs_size = 12 + p.fishers
        spaces = {
            a: gymnasium.spaces.Box(0.0, 1.0, shape=(self.obs_size,), dtype=np.float32)
            for a in names
        }
        super().__init__(render_mode, names, spaces, max(p.capacity + 1, len(self._terms)))
        self._q_max = max(1, max(p.quotas, default=1))
        self._p_max = max(1, max(p.penalties, default=1))
        self._session: FisherySession | None = None

    @property
    def session(self) -> FisherySession:
        """The current season (after :meth:`reset`)."""
        if self._session is None:
            raise RuntimeError("call reset() first")
        return self._session

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        episode_seed = self._episode_seed(seed)
        p = self.params
        contract, negotiate = p.contract, p.negotiate
        if options and "contract" in options:
            k = options["contract"]
            if type(k) is not int or not 0 <= k < len(self._terms):
                last = len(self._terms) - 1
                raise ValueError(f"options['contract'] must index the menu [0, {last}], got {k!r}")
            contract, negotiate = k, False
        session = FisherySession(
            p.model_copy(update={"negotiate": True}), self.config, episode_seed
        )
        self._session = session
        self._device = session.device
        self.agents = list(self.possible_agents)
        self._phase = "propose" if negotiate else "play"
        self._proposal = 0
        self._contract: int | None = None
        self._last: RoundReport | None = None
        if not negotiate:
            self._contract = contract
            session.adopt(self._terms[contract])
        obs = {a: self._vector(a) for a in self.agents}
        infos = {a: self._info(a, None, 0, False) for a in self.agents}
        return obs, infos

    def _mask(self, agent: str) -> np.ndarray:
        n = self._act_space[agent].n
        mask = np.zeros(n, dtype=np.int8)
        proposer = self.possible_agents[self.params.proposer]
        if self._phase == "propose" and agent == proposer:
            mask[: len(self._terms)] = 1
        elif self._phase == "propose" or (self._phase == "accept" and agent == proposer):
            mask[0] = 1
        elif self._phase == "accept":
            mask[:2] = 1
        else:
            mask[: self.params.capacity + 1] = 1
        return mask

    def _terms_vector(self, k: int | None) -> tuple[float, float]:
        t = None if k is None else self._terms[k]
        if t is None:
            return 0.0, 0.0
        return min(1.0, t.quota / self._q_max), min(1.0, t.penalty / self._p_max)

    def _vector(self, agent: str) -> np.ndarray:
        s = self.session
        cap = s.commons.capacity
        v = np.zeros(self.obs_size, dtype=np.float32)
        v[PHASES.index(self._phase)] = 1.0
        v[3], v[4] = self._terms_vector(self._proposal)
        v[5], v[6] = self._terms_vector(self._contract)
        v[7] = float(s.contract is not None)
        v[8] = len(s.history) / s.commons.rounds
        v[9] = s.stock / cap
        v[10] = min(1.0, s.view(agent).threshold / cap)
        last = self._last
        if last is None:
            v[11] = 1.0
        else:
            i = self.possible_agents.index(agent)
            order = [i] + [j for j in range(len(self.possible_agents)) if j != i]
            for k, j in enumerate(order):
                v[12 + k] = last.catches[j] / cap
        return v

    def _info(
        self, agent: str, report: RoundReport | None, gas: int, invalid: bool
    ) -> dict[str, Any]:
        i = self.possible_agents.index(agent)
        s = self.session
        return {
            "phase": self._phase,
            "action_mask": self._mask(agent),
            "round": len(s.history),
            "contract": self._contract,
            "transfer": 0 if report is None else report.transfers[i],
            "catch": 0 if report is None else report.catches[i],
            "stock": s.stock,
            "collapsed": s.collapsed,
            "gas": gas,
            "invalid": invalid,
        }

    def step(self, actions: Mapping[str, Any]) -> StepResult:
        if not self.agents:
            raise RuntimeError("the episode is over: call reset()")
        chosen: dict[str, int] = {}
        for agent in self.agents:
            if agent not in actions:
                raise KeyError(f"no action for {agent} (every fisher acts each step)")
            a = actions[agent]
            if not self._act_space[agent].contains(a):
                raise ValueError(f"{agent}: action {a!r} is not in {self._act_space[agent]}")
            chosen[agent] = int(a)
        unknown = sorted(set(actions) - set(self.agents))
        if unknown:
            raise KeyError(f"actions for agents not in the episode: {unknown}")
        invalid = {a: not bool(self._mask(a)[chosen[a]]) for a in self.agents}
        s = self.session
        proposer = self.possible_agents[self.params.proposer]
        report: RoundReport | None = None
        if self._phase == "propose":
            self._proposal = 0 if invalid[proposer] else chosen[proposer]
            s.propose(proposer, self._terms[self._proposal])
            self._phase = "accept"
        elif self._phase == "accept":
            for agent in self.agents:
                if s.phase != "accept":
                    break
                if agent != proposer:
                    s.respond(agent, chosen[agent] == _ACCEPT and not invalid[agent])
            self._contract = self._proposal if s.contract is not None else 0
            self._phase = "play"
        else:
            for agent in self.agents:
                s.catch(agent, chosen[agent])
            report = s.close_round()
            self._last = report
        rewards: dict[str, float] = {}
        infos: dict[str, dict[str, Any]] = {}
        gas = 0 if report is None else report.gas_fees
        for i, agent in enumerate(self.agents):
            rewards[agent] = (
                0.0 if report is None else float(report.catches[i] + report.transfers[i])
            )
            infos[agent] = self._info(agent, report, gas, invalid[agent])
        over = self._phase == "play" and s.over
        obs = {a: self._vector(a) for a in self.agents}
        terminations = dict.fromkeys(self.agents, over)
        truncations = dict.fromkeys(self.agents, False)
        if over:
            self.agents = []
        return obs, rewards, terminations, truncations, infos

    def state_hash(self) -> str:
        """The device's state hash in hex."""
        return self.session.state_hash()


def parallel_env(**kwargs: Any) -> FisheryEnv:
    """The env as a ``ParallelEnv`` (keyword arguments: the params and ``device``)."""
    return FisheryEnv(**kwargs)


def env(**kwargs: Any) -> AECEnv[str, Any, Any]:
    """The same env as an AEC env (PettingZoo's ``parallel_to_aec``)."""
    return parallel_to_aec(FisheryEnv(**kwargs))
