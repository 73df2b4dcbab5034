"""What the Harvest and Cleanup envs share: phases, contracts on the device, rewards.

Both envs (:mod:`accord.envs.harvest_v0`, :mod:`accord.envs.cleanup_v0`) wrap a numpy
engine of :mod:`accord.games.gridworld` and add the formal-contracting augmentation of
Haupt, Christoffersen, Damani & Hadfield-Menell ("Formal Contracts Mitigate Social
Dilemmas in Multi-Agent RL", 2024, §3) with issue 14's common interface:

- ``contract_space`` and ``contract_menu`` (entry 0: no contract);
- ``reset(seed=…, options={"contract": k})`` plays the episode under menu entry ``k``,
  every party having accepted and without negotiation (stage 1 of the paper's
  protocol); without the option, the params' ``contract``, or a negotiation if
  ``negotiate``. Other option keys are ignored (PettingZoo's own API test passes one);
- ``negotiate=True`` (and no ``contract`` option) opens the episode with a proposal
  step (the proposer's action indexes the menu; on the device, the proposer proposes)
  and an acceptance step (the others: 0 reject, 1 accept; each answers on the device in
  party order, the first rejection cancels), each with an action mask in
  ``infos[agent]["action_mask"]``. An action outside its phase's mask
  is read as the phase's default (play: stay; proposal: no contract; acceptance:
  reject), and ``infos[agent]["invalid"]`` says so;
- the observation ends with the contract in force (or proposed, during acceptance) as
  normalised parameters, a bit "a contract is in force", the phase (one-hot: propose,
  accept, play) and the share of play steps left;
- ``infos[agent]`` carries ``transfer`` (this step's net, base units), ``contract``
  (menu index in force or ``None``), ``phase`` (of the next step), the step's contract
  ``feature``, ``payoff`` (the game's, before the transfer), ``gas`` (what the step's
  settlement used; 0 when nothing was sent) and ``invalid``;
- **reward** = the game's payoff (1 per apple) + the net transfer / ``unit``: ``unit``
  base units of the contract's asset are worth one apple.

**Enforcement.** A contract in force is a real
:class:`~accord.contracts.formal_contract.FormalContract` on the episode's device, put
there through the driver :mod:`accord.games.contracting`: each party's ``deposit`` is
locked when it accepts, and each play step whose features are not all zero is settled
on the device by the env's referee account (the contract's observer); the transfer in
the reward is the one the device paid. A step whose transfers are all zero (no feature:
both rules pay per unit of feature) is not sent, except the last, which ends the
contract and refunds the deposits (the driver's ``skip_idle``): that keeps the device's
work to the steps where money moves (``benchmarks/bench_envs.py`` measures the cost). A
party whose deposit runs out ends the contract (remainders refunded); the rest of the
episode is uncontracted. The referee pays the settlements' gas (the contract's
``fee_payer`` is empty, no keeper fee). ``device=`` takes the device's config (a
``DeviceConfig`` or a dict of its fields); the default is a first-price fee market with
MAC signatures, the device's mode for closed simulations (every account is the env's),
which halves a settlement's cost against ed25519 (``benchmarks/bench_envs.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import gymnasium
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from accord.contracts.formal_contract import ACTIVE
from accord.device import AssetSpec, Device, DeviceConfig, Genesis
from accord.envs.base import DeviceEnv, StepResult, check_render_mode
from accord.games.contracting import Contracting
from accord.mechanisms.contracting import ContractSpace, Menu, grid, normalised

__all__ = ["PHASES", "ContractFields", "Engine", "GridworldEnv"]

PHASES: tuple[str, ...] = ("propose", "accept", "play")
REFEREE = "referee"
"""The account that observes the game and settles each step: the contract's observer."""
ASSET = "USD"


class Engine(Protocol):
    """What an env needs of a gridworld engine."""

    actions: int

    @property
    def observation_size(self) -> int: ...

    def reset(self, rng: np.random.Generator) -> None: ...

    def observe(self) -> np.ndarray: ...


class ContractFields(BaseModel):
    """The env fields both gridworlds share (the engine's rules come beside them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: int = Field(100, ge=1, le=100_000, description="play steps per episode")
    contract: int = Field(0, ge=0, description="menu entry played when reset says none")
    negotiate: bool = Field(False, description="open with a proposal and an acceptance step")
    proposer: int = Field(0, ge=0, description="the proposing agent's index")
    thetas: tuple[int, ...] = Field(
        (), max_length=64, description="the menu's θ values in base units (empty: default)"
    )
    unit: int = Field(1000, ge=1, le=10**18, description="base units worth one apple")
    deposit: int = Field(
        100_000, ge=1, le=10**24, description="base units each party locks on accepting"
    )


class GridworldEnv(DeviceEnv):
    """A gridworld engine as a contracting ``ParallelEnv`` (module docstring)."""

    def __init__(
        self,
        render_mode: str | None,
        engine: Engine,
        fields: ContractFields,
        agents: int,
        space: ContractSpace,
        menu_values: tuple[tuple[int, ...], ...],
        device: DeviceConfig | Mapping[str, Any] | None = None,
    ) -> None:
        check_render_mode(render_mode)
        if device is None:
            self.config = DeviceConfig(fee_market="first_price", signatures="mac")
        elif isinstance(device, DeviceConfig):
            self.config = device
        else:
            self.config = DeviceConfig.model_validate(dict(device))
        self.engine = engine
        self.fields = fields
        self.contract_space: ContractSpace = space
        self.contract_menu: Menu = grid(space, *menu_values)
        if fields.contract >= len(self.contract_menu):
            raise ValueError(
                f"contract={fields.contract} is not a menu index (menu has "
                f"{len(self.contract_menu)} entries)"
            )
        if fields.proposer >= agents:
            raise ValueError(f"proposer={fields.proposer} but there are {agents} agents")
        names = [f"agent_{i}" for i in range(agents)]
        self._tail = space.arity + 1 + len(PHASES) + 1
        size = engine.observation_size + self._tail
        box = gymnasium.spaces.Box(0.0, 1.0, shape=(size,), dtype=np.float32)
        self._n_actions = max(engine.actions, len(self.contract_menu), 2)
        super().__init__(render_mode, names, dict.fromkeys(names, box), self._n_actions)
        self._masks = self._phase_masks()
        self._normalised = [normalised(space, entry) for entry in self.contract_menu]
        self._phase = "play"
        self._t = 0
        self._proposer = 0
        self._proposal = 0
        self._in_force: int | None = None

    # -- masks and observations -------------------------------------------------

    def _phase_masks(self) -> dict[str, np.ndarray]:
        def mask(k: int) -> np.ndarray:
            m = np.zeros(self._n_actions, dtype=np.int8)
            m[:k] = 1
            return m

        return {
            "play": mask(self.engine.actions),
            "propose": mask(len(self.contract_menu)),
            "accept": mask(2),
            "wait": mask(1),
        }

    def action_mask(self, agent: str) -> np.ndarray:
        """The actions valid for ``agent`` in the current phase (1 = valid)."""
        i = self.possible_agents.index(agent)
        if self._phase == "propose":
            return self._masks["propose" if i == self._proposer else "wait"]
        if self._phase == "accept":
            return self._masks["wait" if i == self._proposer else "accept"]
        return self._masks["play"]

    def _observations(self) -> dict[str, np.ndarray]:
        shown = self._proposal if self._phase == "accept" else self._in_force
        arity = self.contract_space.arity
        rows = self.engine.observe()
        full = np.empty((len(rows), rows.shape[1] + self._tail), dtype=np.float32)
        full[:, : rows.shape[1]] = rows
        tail = full[:, rows.shape[1] :]
        tail[...] = 0.0
        tail[:, :arity] = self._normalised[shown or 0]
        tail[:, arity] = 1.0 if self._in_force else 0.0
        tail[:, arity + 1 + PHASES.index(self._phase)] = 1.0
        tail[:, -1] = 1.0 - self._t / self.fields.steps
        return {a: full[i] for i, a in enumerate(self.possible_agents)}

    def _infos(
        self,
        transfers: tuple[int, ...],
        features: tuple[int, ...],
        invalid: set[str],
        gas: int = 0,
        payoff: np.ndarray | tuple[int, ...] | None = None,
    ) -> dict[str, dict[str, Any]]:
        pay = payoff if payoff is not None else (0,) * len(transfers)
        return {
            a: {
                "phase": self._phase,
                "contract": self._in_force,
                "transfer": transfers[i],
                "feature": features[i],
                "payoff": float(pay[i]),
                "invalid": a in invalid,
                "gas": gas,
                "action_mask": self.action_mask(a),
            }
            for i, a in enumerate(self.possible_agents)
        }

    # -- episode ----------------------------------------------------------------

    def _read_contract_option(self, options: Mapping[str, Any] | None) -> int | None:
        """The menu entry ``options["contract"]`` names (checked), or None without one."""
        if options is None or "contract" not in options:
            return None
        k = options["contract"]
        if type(k) is not int or not 0 <= k < len(self.contract_menu):
            raise ValueError(
                f"options['contract'] must be a menu index in [0, {len(self.contract_menu)}), "
                f"got {k!r}"
            )
        return k

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        option = self._read_contract_option(options)
        negotiate = self.fields.negotiate and option is None
        contract = self.fields.contract if option is None else option
        episode_seed = self._episode_seed(seed)
        rng = np.random.default_rng(episode_seed)
        self.engine.reset(rng)
        n = len(self.possible_agents)
        self._proposer = self.fields.proposer
        self._open_device(episode_seed)
        self.agents = list(self.possible_agents)
        self._t = 0
        self._proposal = 0
        self._in_force = None
        if negotiate:
            self._phase = "propose"
        else:
            self._phase = "play"
            if contract:
                self._start_contract(contract)
        zeros = (0,) * n
        return self._observations(), self._infos(zeros, zeros, set())

    def _open_device(self, seed: int) -> None:
        """The episode's device: the agents hold ``deposit`` of the contract's asset; they
        and the referee hold the fee asset for gas."""
        agents = self.possible_agents
        genesis = Genesis(
            assets={
                self.config.fee_asset: AssetSpec(
                    issuer="treasury", alloc=dict.fromkeys((*agents, REFEREE), 10**18)
                ),
                ASSET: AssetSpec(issuer="mint", alloc=dict.fromkeys(agents, self.fields.deposit)),
            }
        )
        self._device = Device(self.config, genesis, seed=seed, history=2)
        self._driver: Contracting | None = None
        self._cid: int | None = None
        self._pending: int | None = None

    def _propose(self, k: int) -> None:
        """The proposer puts menu entry ``k`` on the device (it accepts by proposing)."""
        device = self.device
        driver = self._driver = Contracting.on(device, REFEREE)
        params = self.contract_menu[k]
        if params is None:  # pragma: no cover - callers pass k >= 1
            raise ValueError("menu entry 0 is no contract")
        self._cid = driver.propose(
            self.possible_agents[self._proposer],
            self.possible_agents,
            self.contract_space,
            params,
            asset=ASSET,
            deposits=self.fields.deposit,
            observer=REFEREE,
            start=1,
            end=self.fields.steps,
        )
        self._pending = k

    def _respond(self, answers: Mapping[int, bool]) -> None:
        """The others answer the proposal in party order; the first rejection cancels it
        (every locked deposit refunded). When all accept, the contract is in force."""
        if self._driver is None or self._cid is None or self._pending is None:
            return
        for i, accept in sorted(answers.items()):
            if i == self._proposer:
                continue
            self._driver.respond(self.possible_agents[i], self._cid, accept)
            if not accept:
                self._pending = None
                return
        if self._driver.status(self._cid) != ACTIVE:  # pragma: no cover - driver invariant
            raise RuntimeError(f"contract {self._cid} is not active after every acceptance")
        self._in_force, self._pending = self._pending, None

    def _start_contract(self, k: int) -> None:
        """Menu entry ``k`` in force from the first play step, every party accepting."""
        self._propose(k)
        self._respond(dict.fromkeys(range(len(self.possible_agents)), True))

    def _settle(self, features: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
        """Settle this play step on the device: the transfers paid and the gas used."""
        if self._driver is None or self._cid is None:  # pragma: no cover - in force
            raise RuntimeError("no contract to settle")
        settled = self._driver.settle(REFEREE, self._cid, self._t + 1, features)
        if settled.status != ACTIVE:
            self._in_force = None  # ended (last step) or exhausted: remainders refunded
        return settled.transfers, settled.gas_used

    def _play(self, actions: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
        """One engine step: each agent's payoff (apples) and contract feature."""
        raise NotImplementedError

    def _checked_actions(self, actions: Mapping[str, Any]) -> tuple[np.ndarray, set[str]]:
        if not self.agents:
            raise RuntimeError("the episode is over: call reset()")
        unknown = sorted(set(actions) - set(self.possible_agents), key=str)
        if unknown:
            raise KeyError(f"actions for agents not in the episode: {unknown}")
        chosen = np.zeros(len(self.possible_agents), dtype=np.int64)
        invalid: set[str] = set()
        for i, agent in enumerate(self.possible_agents):
            if agent not in actions:
                raise KeyError(f"no action for {agent} (every agent acts each step)")
            a = actions[agent]
            if isinstance(a, np.ndarray) and a.shape == () and a.dtype.kind in "iu":
                a = int(a)
            if isinstance(a, np.integer):
                a = int(a)
            if type(a) is not int or not 0 <= a < self._n_actions:
                raise ValueError(f"{agent}: action {a!r} is not in Discrete({self._n_actions})")
            if not self.action_mask(agent)[a]:
                invalid.add(agent)
                a = 0
            chosen[i] = a
        return chosen, invalid

    def step(self, actions: Mapping[str, Any]) -> StepResult:
        chosen, invalid = self._checked_actions(actions)
        n = len(self.possible_agents)
        zeros = (0,) * n
        rewards = dict.fromkeys(self.possible_agents, 0.0)
        transfers, features = zeros, zeros
        payoff: np.ndarray | tuple[int, ...] = zeros
        gas = 0
        if self._phase == "propose":
            self._proposal = int(chosen[self._proposer])
            if self._proposal:
                self._propose(self._proposal)
            self._phase = "accept"
        elif self._phase == "accept":
            self._respond({i: bool(chosen[i] == 1) for i in range(n)})
            self._phase = "play"
        else:
            payoff, features = self._play(chosen)
            if self._in_force is not None:
                transfers, gas = self._settle(features)
            self._t += 1
            unit = self.fields.unit
            rewards = {
                a: float(payoff[i]) + transfers[i] / unit
                for i, a in enumerate(self.possible_agents)
            }
        over = self._t >= self.fields.steps
        obs = self._observations()
        infos = self._infos(transfers, features, invalid, gas, payoff)
        truncations = dict.fromkeys(self.possible_agents, over)
        terminations = dict.fromkeys(self.possible_agents, False)
        if over:
            self.agents = []
        return obs, rewards, terminations, truncations, infos
