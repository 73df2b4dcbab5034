"""n-player matrix social dilemmas with formal contracts on the device, as a ``ParallelEnv``.

The players play one of :mod:`accord.mechanisms.dilemmas`' games (prisoner's dilemma,
stag hunt, chicken, public goods) for ``rounds`` rounds at a
:class:`~accord.games.dilemma_table.Table`: a device on which a contract, once every
player has accepted it, escrows each player's deposit and settles each round's transfers
(Haupt, Christoffersen, Damani & Hadfield-Menell, "Formal contracts mitigate social
dilemmas in multi-agent RL", 2024: each defector pays θ, split among the cooperators).

**The common contracting interface** (shared with the fishery and gridworld envs, so that
:mod:`accord.agents.learning` works on all of them):

- ``contract_space`` (``matrix_space(max θ)``: θ in ``[0, max θ]``) and
  ``contract_menu`` (``None`` then one ``(θ,)`` per value of the params' ``thetas``, in
  base units);
- ``reset(seed=..., options={"contract": k})`` plays the episode under menu entry ``k``,
  every player having accepted, with no negotiation (stage 1 of the paper's protocol);
  without the option, the params' ``contract``;
- with ``negotiate=True`` (and no ``contract`` option) the episode opens with a
  **proposal** step (the proposer's action indexes the menu; the others' are ignored) and
  an **acceptance** step (the others: 1 accept, 0 reject; the proposer's is ignored).
  The contract is in force iff it is not entry 0 and every other player accepts.
  ``infos[agent]["action_mask"]`` says which actions the next step allows; an action
  outside it counts as the step's fallback (propose nothing, reject, defect) and is
  flagged ``infos[agent]["invalid"]``.

**Variants** (issue 14). ``contract_kind="unilateral"``: a menu entry is a stake
``(0, θ)`` of ``unilateral_space``: the proposer pays θ each round it defects, split
among the others; only its deposit is locked and nobody accepts (with ``negotiate`` the
proposal step is followed by play, no acceptance step). ``propose_at=k`` (``0 ≤ k <
rounds``): the first ``k`` rounds are played uncontracted, then the proposal (and
acceptance) steps come, or the non-negotiated contract is signed; it starts at round
``k + 1`` and settles only the rounds after. See ``docs/social-dilemmas.md``,
"Variants".

**Enforcement** is the device's: a proposal is a ``FormalContract`` proposal by the
proposer (its deposit locked at once), each acceptance locks the acceptor's deposit, and
each round the referee (the contract's observer) settles the moves as features; the
transfers are paid out of the deposits (:class:`~accord.games.dilemma_table.Table`).

**Actions** (``Discrete(max(2, len(menu)))`` with negotiation, else ``Discrete(2)``): in
play, 0 cooperates and 1 defects (the contract's features). **Rewards**: the game's
payoff in points plus the net transfer minus any keeper fee, in points (one point is
``unit`` base units); transfers are zero-sum, so without keeper fees the players' rewards
sum to the game's welfare. The gas the referee spends settling is in
``infos[agent]["gas"]`` (not in rewards).

**Observation** (``Box``, :data:`OBS_SIZE` entries in ``[0, 1]``): the next step's phase
(one-hot: propose, accept, play); the proposed θ and the θ in force, normalised by the
largest θ of the menu; whether a contract is in force; the share of rounds played; the
player's own last move (1 cooperated); the share of the others who cooperated last round;
1 before the first round.

**Infos**: ``phase`` (of the next step), ``action_mask``, ``round``, ``contract`` (the
menu index agreed, 0 for none, ``None`` while negotiating and, with ``propose_at``,
before the contract's step), ``in_force`` (false once a deposit has run out and the
contract ended), ``transfer`` (this step's net, base units), ``fee`` (the keeper fee
paid), ``payoff`` (points), ``cooperated`` (this step's move, or ``None``), ``gas`` (the
settlement's gas), ``invalid``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium
import numpy as np
from pydantic import Field, StrictInt, ValidationError, model_validator

from accord.device import DeviceConfig
from accord.envs.base import DeviceEnv, StepResult, check_render_mode
from accord.games.dilemma_table import DEFECT, DilemmaSpec, RoundResult, Table, embedded_device
from accord.mechanisms.contracting import normalised

__all__ = ["OBS_SIZE", "PHASES", "MatrixDilemmaEnv", "MatrixEnvParams"]

PHASES: tuple[str, ...] = ("propose", "accept", "play")
OBS_SIZE = 10
_ACCEPT = 1
_FIRST_PLAY = "first_price"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}...<{len(text)} chars>"


class MatrixEnvParams(DilemmaSpec):
    """The env's parameters: the dilemma (:class:`DilemmaSpec`) and the episode."""

    rounds: StrictInt = Field(10, ge=1, le=10_000)
    negotiate: bool = False
    contract: StrictInt = Field(0, ge=0, description="menu entry played when not negotiating")
    proposer: StrictInt = Field(0, ge=0, description="the proposing player's index")
    propose_at: StrictInt = Field(
        0, ge=0, description="rounds played before the contract is proposed (or signed)"
    )

    @model_validator(mode="after")
    def _check_env(self) -> MatrixEnvParams:
        if self.contract > len(self.thetas):
            raise ValueError(
                f"contract must index the menu [0, {len(self.thetas)}], got {self.contract}"
            )
        if self.proposer >= self.players:
            raise ValueError(
                f"proposer must be a player index < {self.players}, got {self.proposer}"
            )
        if self.propose_at >= self.rounds:
            raise ValueError(
                f"propose_at must leave a round to contract on: < rounds = {self.rounds}, "
                f"got {self.propose_at}"
            )
        return self


class MatrixDilemmaEnv(DeviceEnv):
    """n players, a matrix dilemma, a contract on the device (module docstring)."""

    metadata: ClassVar[dict[str, Any]] = {
        "name": "matrix_dilemma_v0",
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
        try:
            self.params = MatrixEnvParams.model_validate(params)
        except ValidationError as exc:  # one line, naming the parameter
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"]) or "params"
            raise ValueError(
                f"matrix_dilemma_v0: {where}: {first['msg']} ({first['type']})"
            ) from None
        if device is None:
            self.config = DeviceConfig(fee_market=_FIRST_PLAY)
        elif isinstance(device, DeviceConfig):
            self.config = device
        else:
            self.config = DeviceConfig.model_validate(dict(device))
        p = self.params
        names = [f"player_{i}" for i in range(p.players)]
        self.contract_menu: tuple[tuple[int, ...] | None, ...] = (
            None,
            *(p.params_of(t) for t in p.thetas),
        )
        self.game = p.dilemma()
        self.contract_space = p.space()
        actions = max(2, len(self.contract_menu)) if p.negotiate else 2
        spaces = {
            a: gymnasium.spaces.Box(0.0, 1.0, shape=(OBS_SIZE,), dtype=np.float32) for a in names
        }
        super().__init__(render_mode, names, spaces, actions)
        self._table: Table | None = None

    # -- the contract --------------------------------------------------------------

    def theta(self, k: int | None) -> int | None:
        """Menu entry ``k``'s θ in base units (``None`` for no contract)."""
        if k is None:
            return None
        entry = self.contract_menu[k]
        return None if entry is None else entry[-1]

    @property
    def table(self) -> Table:
        """The current episode's table (after :meth:`reset`)."""
        if self._table is None:
            raise RuntimeError("call reset() first")
        return self._table

    # -- PettingZoo ----------------------------------------------------------------

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        p = self.params
        contract = p.contract
        negotiate = p.negotiate
        k = self._option_contract(options)
        if k is not None:
            contract, negotiate = k, False
        episode_seed = self._episode_seed(seed)
        device = embedded_device(p, self.possible_agents, p.rounds, self.config, episode_seed)
        self._table = Table.on(p, self.possible_agents, p.rounds, device)
        self._device = device
        self.agents = list(self.possible_agents)
        self._phase = "propose" if negotiate and not p.propose_at else "play"
        self._proposal = 0
        self._contract: int | None = None
        self._last: RoundResult | None = None
        self._pending: int | None = None
        """The menu entry to sign after ``propose_at`` rounds (no negotiation)."""
        if not negotiate:
            if p.propose_at:
                self._pending = contract
            else:
                self._sign(contract)
        self._negotiating = negotiate
        obs = {a: self._vector(a) for a in self.agents}
        infos = {a: self._info(a, 0, None, 0, False) for a in self.agents}
        return obs, infos

    def _option_contract(self, options: object) -> int | None:
        """The menu entry ``options`` ask for (``None``: none asked); checked before
        anything changes."""
        if options is None:
            return None
        if not isinstance(options, Mapping):
            raise ValueError(f"options must be a dict, got {_short(options)}")
        if "contract" not in options:  # other keys are ignored (PettingZoo's API test
            # passes its own)
            return None
        k = options["contract"]
        top = len(self.contract_menu) - 1
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 0 <= k <= top:
            raise ValueError(f"options['contract'] must index the menu [0, {top}], got {_short(k)}")
        return int(k)

    def _sign(self, k: int) -> None:
        """Every player has accepted menu entry ``k`` (0: none): put it on the device."""
        self._contract = k
        theta = self.theta(k)
        if theta is not None:
            self.table.sign(self.params.proposer, theta)
        self._pending = None

    def _mask(self, agent: str) -> np.ndarray:
        n = self._act_space[agent].n
        mask = np.zeros(n, dtype=np.int8)
        proposer = self.possible_agents[self.params.proposer]
        if self._phase == "propose" and agent == proposer:
            mask[: len(self.contract_menu)] = 1
        elif self._phase == "propose" or (self._phase == "accept" and agent == proposer):
            mask[0] = 1  # nothing to decide: the others wait for the proposal, the
            # proposer for the answers
        else:  # accept (responders: reject, accept) or play (cooperate, defect)
            mask[:2] = 1
        return mask

    def _vector(self, agent: str) -> np.ndarray:
        v = np.zeros(OBS_SIZE, dtype=np.float32)
        v[PHASES.index(self._phase)] = 1.0
        menu, space = self.contract_menu, self.contract_space
        v[3] = normalised(space, menu[self._proposal])[-1]  # θ (the stake, unilateral)
        k = self._contract or 0
        in_force = k > 0 and self.table.in_force
        v[4] = normalised(space, menu[k] if in_force else None)[-1]
        v[5] = float(in_force)
        v[6] = self.table.round / self.params.rounds
        last = self._last
        if last is None:
            v[9] = 1.0
        else:
            i = self.possible_agents.index(agent)
            v[7] = float(last.cooperated[i])
            v[8] = (sum(last.cooperated) - last.cooperated[i]) / (len(last.cooperated) - 1)
        return v

    def _info(
        self, agent: str, transfer: int, result: RoundResult | None, gas: int, invalid: bool
    ) -> dict[str, Any]:
        i = self.possible_agents.index(agent)
        return {
            "phase": self._phase,
            "action_mask": self._mask(agent),
            "round": self.table.round,
            "contract": self._contract,
            "in_force": self.table.in_force,
            "transfer": transfer,
            "fee": 0 if result is None else result.fees[i],
            "payoff": 0.0 if result is None else float(result.payoffs[i]),
            "cooperated": None if result is None else result.cooperated[i],
            "gas": gas,
            "invalid": invalid,
        }

    def step(self, actions: Mapping[str, Any]) -> StepResult:
        if not self.agents:
            raise RuntimeError("the episode is over: call reset()")
        if not isinstance(actions, Mapping):
            raise ValueError(f"actions must be a dict by agent, got {_short(actions)}")
        chosen: dict[str, int] = {}
        for agent in self.agents:
            if agent not in actions:
                raise KeyError(f"no action for {agent} (every player acts each step)")
            a = actions[agent]
            space = self._act_space[agent]
            if (
                isinstance(a, bool | np.bool_)
                or not isinstance(a, int | np.integer)
                or not 0 <= a < space.n
            ):
                raise ValueError(f"{agent}: action {_short(a)} is not in {space}")
            chosen[agent] = int(a)
        unknown = sorted(set(actions) - set(self.agents))
        if unknown:
            raise KeyError(f"actions for agents not in the episode: {unknown}")
        invalid = {a: not bool(self._mask(a)[chosen[a]]) for a in self.agents}
        proposer = self.possible_agents[self.params.proposer]
        result: RoundResult | None = None
        if self._phase == "propose":
            self._proposal = 0 if invalid[proposer] else chosen[proposer]
            theta = self.theta(self._proposal)
            if theta is not None:
                self.table.propose(self.params.proposer, theta)
            if self.params.contract_kind == "unilateral":  # nobody's acceptance needed
                self._contract = self._proposal if self.table.in_force else 0
                self._phase = "play"
            else:
                self._phase = "accept"
        elif self._phase == "accept":
            if self._proposal:
                for i, a in enumerate(self.agents):
                    if a != proposer:
                        self.table.respond(i, chosen[a] == _ACCEPT)
            self._contract = self._proposal if self.table.in_force else 0
            self._phase = "play"
        else:
            moves = [DEFECT if invalid[a] else chosen[a] for a in self.agents]
            result = self.table.play(moves)
            self._last = result
            if self.table.round == self.params.propose_at:  # the mid-episode contract
                if self._negotiating:
                    self._phase = "propose"
                elif self._pending is not None:
                    self._sign(self._pending)
        unit = self.params.unit
        rewards: dict[str, float] = {}
        infos: dict[str, dict[str, Any]] = {}
        over = self._phase == "play" and self.table.round >= self.params.rounds
        for i, agent in enumerate(self.agents):
            transfer = 0 if result is None else result.transfers[i]
            fee = 0 if result is None else result.fees[i]
            payoff = 0.0 if result is None else float(result.payoffs[i])
            rewards[agent] = payoff + (transfer - fee) / unit
            infos[agent] = self._info(
                agent, transfer, result, 0 if result is None else result.gas, invalid[agent]
            )
        obs = {a: self._vector(a) for a in self.agents}
        terminations = dict.fromkeys(self.agents, over)
        truncations = dict.fromkeys(self.agents, False)
        if over:
            self.agents = []
        return obs, rewards, terminations, truncations, infos

    def state_hash(self) -> str:
        """The device's state hash in hex."""
        return self.table.state_hash()
