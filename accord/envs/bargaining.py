"""Deal or No Deal with alternating offers, as a PettingZoo ``ParallelEnv``.

The game is OpenSpiel's ``bargaining`` (``open_spiel/games/bargaining``; Lewis et al.,
"Deal or No Deal?", EMNLP 2017) on its 1,000 instances
(:mod:`accord.mechanisms.bargaining.deal_or_no_deal`), with its action numbering, so a
policy trained here reads OpenSpiel's actions and the other way round:

* **Actions** (``Discrete(121)``): ``k < 120`` is the offer "I keep ``OFFERS[k]``" (the
  rest of the pool goes to the other player); ``120`` is "agree" to the offer on the
  table. Player 0 offers first; turns alternate; after ``max_turns`` offers (default 10,
  OpenSpiel's) the game ends with no deal, so the last offer cannot be accepted.
* **Who acts.** Both agents send an action every step (the parallel API), but only the
  player whose turn it is acts; the other's action is ignored (it may also be left
  out). ``observation["action_mask"]`` marks the legal actions of the player to move
  (offers within the pool, and "agree" once an offer is on the table) and is all zeros
  for the other.
* **Rewards** come at the end: each player's value of what it receives (the no-deal
  payoff is 0), as in OpenSpiel with ``discount = 1``.
* **Observation** (``observation["observation"]``, ``Box(0, 1, (15,))``): my seat
  (one-hot, 2), my turn (1), offers made / max_turns (1), the pool / 7 (3), my values /
  10 (3), an offer on the table (1), what it gives me / 7 (3) and its value to me / 10
  (1). The opponent's values are never shown.

**Bad actions.** An action outside ``Discrete(121)`` (a bool is not an action), a
missing action of the player to move, or an action for an agent not in the episode is
refused with ``ValueError`` / ``KeyError`` naming it, and the episode does not change.
A legal-looking action that is illegal *now* (an offer beyond the pool, "agree" with
nothing on the table) follows
PettingZoo's classic-environment convention (``TerminateIllegalWrapper``): the episode
ends, the offender gets ``illegal_reward`` (default -1), the other player 0, and both
infos say ``illegal_move``.

**Scripted opponents.** ``opponent="Boulware"`` (any name of
:data:`accord.agents.bargaining.negotiators.NEGOTIATORS`, or a negotiator object) seats a
scripted negotiator as ``opponent_seat`` (default player 1): it then plays inside the env
through the SAO interface (:mod:`accord.agents.bargaining.sao`: ``respond`` to the offer
on the table, and ``propose`` if it rejects), exactly as in
:func:`~accord.agents.bargaining.sao.run_negotiation` with ``n_steps = max_turns - 1``,
and only the other seat is a PettingZoo agent.

**Seeding.** ``reset(seed=s)`` plays episode ``s``: its instance is drawn from the
instance list by ``numpy.random.default_rng(s)``; ``reset()`` draws the next episode
seed from a generator seeded at construction (or by the last seeded reset), as in
:class:`accord.envs.base.DeviceEnv`. ``reset(options={"instance": k})`` plays instance
``k``; other option keys are ignored.

The env is off the device: the same negotiation with each offer a device commitment is
the ``deal_or_no_deal`` game (:mod:`accord.games`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import gymnasium
import numpy as np
from pettingzoo import ParallelEnv
from pydantic import BaseModel, ConfigDict, Field

from accord.agents.bargaining.negotiators import NEGOTIATORS
from accord.agents.bargaining.sao import NMI, Negotiator, Offer, ResponseType, SAOState
from accord.envs.base import check_render_mode
from accord.mechanisms.bargaining.deal_or_no_deal import (
    AGREE,
    MAX_ITEMS,
    OFFERS,
    TOTAL_VALUE,
    Division,
    Instance,
    read_instances,
)

PLAYERS: tuple[str, str] = ("player_0", "player_1")
OBS_SIZE = 15

Obs = dict[str, np.ndarray]
BargainingStep = tuple[
    dict[str, Obs], dict[str, float], dict[str, bool], dict[str, bool], dict[str, dict[str, Any]]
]
"""What ``step`` returns: observations (dicts), rewards, terminations, truncations, infos."""


class BargainingEnvParams(BaseModel):
    """The env's parameters; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_turns: int = Field(10, ge=2, le=1000, description="offers before no deal")
    illegal_reward: float = Field(-1.0, allow_inf_nan=False, description="illegal move")
    instances_file: str | None = Field(None, description="instances (default: packaged)")
    opponent_seat: int = Field(1, ge=0, le=1, description="the scripted opponent's seat")


class BargainingEnv(ParallelEnv[str, dict[str, np.ndarray], int]):  # type: ignore[misc]
    """Deal or No Deal for two learners, or one against a scripted negotiator."""

    metadata: ClassVar[dict[str, Any]] = {
        "name": "bargaining_v0",
        "render_modes": [],
        "is_parallelizable": True,
    }

    def __init__(
        self,
        render_mode: str | None = None,
        opponent: str | Negotiator | None = None,
        **params: Any,
    ) -> None:
        check_render_mode(render_mode)
        self.render_mode = render_mode
        self.params = BargainingEnvParams.model_validate(params)
        path = self.params.instances_file
        self.instances: tuple[Instance, ...] = read_instances(None if path is None else Path(path))
        self.opponent = _opponent(opponent)
        seat = self.params.opponent_seat
        self.possible_agents = [
            p for k, p in enumerate(PLAYERS) if self.opponent is None or k != seat
        ]
        self.agents: list[str] = []
        obs = gymnasium.spaces.Dict(
            {
                "observation": gymnasium.spaces.Box(0.0, 1.0, (OBS_SIZE,), np.float32),
                "action_mask": gymnasium.spaces.Box(0, 1, (AGREE + 1,), np.int8),
            }
        )
        self._obs_space = {a: obs for a in self.possible_agents}
        self._act_space = {a: gymnasium.spaces.Discrete(AGREE + 1) for a in self.possible_agents}
        self._seeds = np.random.default_rng(0)
        self._instance: Instance | None = None

    def observation_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
        return self._obs_space[agent]

    def action_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
        return self._act_space[agent]

    @property
    def instance(self) -> Instance:
        """The current episode's instance (after :meth:`reset`)."""
        if self._instance is None:
            raise RuntimeError("call reset() first")
        return self._instance

    @property
    def offers(self) -> tuple[Offer, ...]:
        """The offers made so far this episode (divisions: what player 0 receives)."""
        return tuple(self._offers)

    # -- episode ---------------------------------------------------------------------------

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict[str, Any]]]:
        if seed is None:
            episode_seed = int(self._seeds.integers(2**63 - 1))
        elif type(seed) is not int or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        else:
            self._seeds = np.random.default_rng(seed)
            episode_seed = seed
        pick = (options or {}).get("instance")
        if pick is None:
            pick = int(np.random.default_rng(episode_seed).integers(len(self.instances)))
        elif type(pick) is not int or not 0 <= pick < len(self.instances):
            raise ValueError(
                f"options['instance'] must be an int in [0, {len(self.instances)}), got {pick!r}"
            )
        self._index = pick
        self._instance = self.instances[pick]
        self._offers: list[Offer] = []
        self._turn = 0
        self.agents = list(self.possible_agents)
        if self.opponent is not None:
            seat = self.params.opponent_seat
            inst = self._instance
            self.opponent.on_negotiation_start(
                NMI(seat, inst.pool, inst.values[seat], self.params.max_turns - 1, inst.divisions())
            )
            self._play_opponent()
        obs = {a: self._observe(PLAYERS.index(a)) for a in self.agents}
        infos = {a: self._info(PLAYERS.index(a)) for a in self.agents}
        return obs, infos

    def _observe(self, seat: int) -> dict[str, np.ndarray]:
        inst = self.instance
        v = np.zeros(OBS_SIZE, dtype=np.float32)
        v[seat] = 1.0
        v[2] = float(self._turn == seat)
        v[3] = len(self._offers) / self.params.max_turns
        v[4:7] = np.array(inst.pool, dtype=np.float32) / MAX_ITEMS
        v[7:10] = np.array(inst.values[seat], dtype=np.float32) / TOTAL_VALUE
        mask = np.zeros(AGREE + 1, dtype=np.int8)
        if self._offers:
            last = self._offers[-1].outcome
            mine = last if seat == 0 else inst.rest(last)
            v[10] = 1.0
            v[11:14] = np.array(mine, dtype=np.float32) / MAX_ITEMS
            v[14] = inst.value(seat, mine) / TOTAL_VALUE
        if self._turn == seat and not self._over():
            for k, keep in enumerate(OFFERS):
                mask[k] = all(q <= n for q, n in zip(keep, inst.pool, strict=True))
            mask[AGREE] = bool(self._offers)
        return {"observation": v, "action_mask": mask}

    def _info(self, seat: int) -> dict[str, Any]:
        return {"instance": self._index, "turn": self._turn, "offers": len(self._offers)}

    def _over(self) -> bool:
        return len(self._offers) >= self.params.max_turns

    # -- the rules (one action of the player to move) --------------------------------------

    def _act(self, seat: int, action: int) -> str | None:
        """Apply ``seat``'s action; returns "agree", "illegal" or None (an offer)."""
        inst = self.instance
        if action == AGREE:
            if not self._offers:
                return "illegal"
            return "agree"
        keep = OFFERS[action]
        if not all(q <= n for q, n in zip(keep, inst.pool, strict=True)):
            return "illegal"
        division: Division = keep if seat == 0 else inst.rest(keep)
        self._offers.append(Offer(len(self._offers), seat, division))
        self._turn = 1 - seat
        return None

    def _play_opponent(self) -> str | None:
        """The scripted opponent's turn, if it is its turn: respond, then propose."""
        if self.opponent is None or self._turn != self.params.opponent_seat or self._over():
            return None
        seat, n_steps, hist = self._turn, self.params.max_turns - 1, tuple(self._offers)
        if hist:
            last = hist[-1]
            state = SAOState(last.step, n_steps, last.outcome, last.proposer, hist)
            answer = self.opponent.respond(state, last.outcome)
            if answer is ResponseType.ACCEPT_OFFER:
                return "agree"
            if answer is not ResponseType.REJECT_OFFER:
                return "end"  # END_NEGOTIATION, or an invalid answer: no deal
        step = len(hist)
        current = hist[-1].outcome if hist else None
        proposer = hist[-1].proposer if hist else None
        outcome = self.opponent.propose(
            SAOState(min(step, n_steps), n_steps, current, proposer, hist)
        )
        if not self.instance.is_division(outcome):
            return "end"
        self._offers.append(Offer(step, seat, outcome))
        self._turn = 1 - seat
        return None

    def step(self, actions: Mapping[str, Any]) -> BargainingStep:
        if not self.agents:
            raise RuntimeError("the episode is over: call reset()")
        unknown = sorted(set(actions) - set(self.agents), key=str)
        if unknown:
            raise KeyError(f"actions for agents not in the episode: {unknown}")
        mover = PLAYERS[self._turn]
        if mover not in actions:
            raise KeyError(f"no action for {mover}, whose turn it is")
        a = actions[mover]
        if isinstance(a, bool | np.bool_) or not self._act_space[mover].contains(a):
            raise ValueError(f"{mover}: action {a!r} is not in {self._act_space[mover]}")
        outcome = self._act(self._turn, int(a))
        if outcome is None:
            outcome = self._play_opponent()
        rewards = dict.fromkeys(PLAYERS, 0.0)
        done = outcome is not None or self._over()
        if outcome == "agree":
            u = self.instance.utilities(self._offers[-1].outcome)
            rewards = {PLAYERS[0]: float(u[0]), PLAYERS[1]: float(u[1])}
        elif outcome == "illegal":
            rewards[mover] = self.params.illegal_reward
        live = list(self.agents)
        obs = {p: self._observe(PLAYERS.index(p)) for p in live}
        infos = {p: self._info(PLAYERS.index(p)) for p in live}
        for p in live:
            infos[p]["illegal_move"] = outcome == "illegal"
            if done:
                infos[p]["agreement"] = self._offers[-1].outcome if outcome == "agree" else None
                infos[p]["ended_by"] = outcome or "max_turns"
        terminations = dict.fromkeys(live, done)
        truncations = dict.fromkeys(live, False)
        if done:
            self.agents = []
        return obs, {p: rewards[p] for p in live}, terminations, truncations, infos


def _opponent(opponent: str | Negotiator | None) -> Negotiator | None:
    if opponent is None:
        return None
    if isinstance(opponent, str):
        if opponent not in NEGOTIATORS:
            raise ValueError(f"unknown opponent {opponent!r}: choose one of {sorted(NEGOTIATORS)}")
        return NEGOTIATORS[opponent]()
    if not isinstance(opponent, Negotiator):
        raise TypeError(
            f"opponent must be a negotiator name or object with on_negotiation_start, propose "
            f"and respond, got {type(opponent).__name__}"
        )
    return opponent
