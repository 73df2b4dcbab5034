"""A repeated prisoner's dilemma played with commitments on the device, as a ``ParallelEnv``.

Program equilibrium (Tennenholtz, "Program equilibrium", GEB 2004; LaVictoire et al.,
"Program Equilibrium in the Prisoner's Dilemma via Löb's Theorem", 2014): when each
player submits a program that can read the other's, cooperation can be an equilibrium of
the one-shot dilemma. Here each round, each of two players picks a program from a menu
of the standard modal agents (:mod:`accord.device.commitments.library`: CooperateBot,
DefectBot, FairBot, PrudentBot, TrollBot). The env posts both as
:class:`~accord.device.commitments.Commitment` s on a :class:`~accord.device.Device`,
each naming the other's as its counterpart (``$cp``), and builds one block: the device's
resolver decides, as a fixed point, whose condition holds, and a program that fires
cooperates. So the moves are the device's, not the env's: the same documents, the same
resolver as any commitment (``docs/commitments.md``).

The rewards are the textbook payoffs :data:`accord.games.program_equilibrium.PD_PAYOFFS`
(``T=5 > R=3 > P=1 > S=0``); the commitments carry no transfers, so no balance changes
but the gas of posting them. With the menu ``("CooperateBot", "DefectBot")`` the game is
the plain repeated dilemma (unconditional C and D).

**Observation** (``Box``): one-hot codes of the opponent's program in the previous round
(plus "none" before the first) and of the previous round's joint move (CC, CD, DC, DD,
none), from the player's own point of view. **Theory** (tested): mutual DefectBot is the
plain game's unique stage equilibrium (payoff 1 each); with programs, PrudentBot against
PrudentBot is an equilibrium that cooperates (payoff 3 each) and PrudentBot earns the
most against a uniformly random opponent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.device import AssetSpec, Device, DeviceConfig, Genesis
from accord.device.commitments.build import commitment
from accord.device.commitments.library import LIBRARY
from accord.envs.base import DeviceEnv, StepResult, check_render_mode
from accord.games.program_equilibrium import PD_PAYOFFS

PLAYERS: tuple[str, str] = ("player_0", "player_1")
MENU: tuple[str, ...] = ("CooperateBot", "DefectBot", "FairBot", "PrudentBot", "TrollBot")
"""The default programs, by action index."""
OUTCOMES: tuple[tuple[str, str], ...] = (("C", "C"), ("C", "D"), ("D", "C"), ("D", "D"))


class PDEnvParams(BaseModel):
    """The env's parameters; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rounds: int = Field(10, ge=1, description="rounds per episode")
    menu: tuple[str, ...] = Field(MENU, description="programs the players choose from")

    @model_validator(mode="after")
    def _check(self) -> PDEnvParams:
        bots = {name.split("/")[0] for name in LIBRARY}
        unknown = [m for m in self.menu if m not in bots]
        if not self.menu or unknown or len(set(self.menu)) != len(self.menu):
            raise ValueError(
                f"menu must name distinct programs from {sorted(bots)}, got {self.menu}"
            )
        return self


class CommitmentPDEnv(DeviceEnv):
    """Two players posting programs to the device, round after round (module docstring)."""

    metadata: ClassVar[dict[str, Any]] = {
        "name": "commitment_pd_v0",
        "render_modes": [],
        "is_parallelizable": True,
    }

    def __init__(self, render_mode: str | None = None, **params: Any) -> None:
        check_render_mode(render_mode)
        self.params = PDEnvParams.model_validate(params)
        size = len(self.params.menu) + 1 + len(OUTCOMES) + 1
        spaces = {
            a: gymnasium.spaces.Box(0.0, 1.0, shape=(size,), dtype=np.float32) for a in PLAYERS
        }
        super().__init__(render_mode, list(PLAYERS), spaces, len(self.params.menu))
        self._programs = {name: LIBRARY[f"{name}/pd"] for name in self.params.menu}

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        episode_seed = self._episode_seed(seed)
        config = DeviceConfig(fee_market="first_price")
        genesis = Genesis(
            assets={"ETH": AssetSpec(issuer="treasury", alloc=dict.fromkeys(PLAYERS, 10**18))}
        )
        self._device = Device(config, genesis, seed=episode_seed, history=2)
        self.agents = list(PLAYERS)
        self._round = 0
        obs = {a: self._vector(None, None) for a in PLAYERS}
        return obs, {a: {"round": 0} for a in PLAYERS}

    def _vector(self, opponent: int | None, outcome: tuple[str, str] | None) -> np.ndarray:
        n = len(self.params.menu)
        v = np.zeros(n + 1 + len(OUTCOMES) + 1, dtype=np.float32)
        v[n if opponent is None else opponent] = 1.0
        v[n + 1 + (len(OUTCOMES) if outcome is None else OUTCOMES.index(outcome))] = 1.0
        return v

    def moves(self, first: int, second: int) -> tuple[str, str]:
        """Post the two programs (menu indices) as commitments and resolve them in a block."""
        device = self.device
        number = device.number + 1
        names = [self.params.menu[first], self.params.menu[second]]
        ids = [f"{p}/r{number}" for p in PLAYERS]
        for k, player in enumerate(PLAYERS):
            program = self._programs[names[k]]
            doc = commitment(
                player,
                f"r{number}",
                expiry=number,
                condition=program.condition,
                counterpart=ids[1 - k],
            )
            device.commit(device.account(player), doc)
        device.build_block()
        resolution = device.resolutions[-1]
        if resolution.number != number:
            raise RuntimeError(f"block {number} resolved no commitments")
        fired = set(resolution.fired)
        return ("C" if ids[0] in fired else "D", "C" if ids[1] in fired else "D")

    def step(self, actions: Mapping[str, Any]) -> StepResult:
        if not self.agents:
            raise RuntimeError("the episode is over: call reset()")
        chosen: list[int] = []
        for agent in PLAYERS:
            if agent not in actions:
                raise KeyError(f"no action for {agent} (both players act each round)")
            a = actions[agent]
            if not self._act_space[agent].contains(a):
                raise ValueError(f"{agent}: action {a!r} is not in {self._act_space[agent]}")
            chosen.append(int(a))
        unknown = sorted(set(actions) - set(PLAYERS))
        if unknown:
            raise KeyError(f"actions for agents not in the episode: {unknown}")
        move = self.moves(chosen[0], chosen[1])
        pay = PD_PAYOFFS[move]
        self._round += 1
        obs = {
            PLAYERS[0]: self._vector(chosen[1], move),
            PLAYERS[1]: self._vector(chosen[0], (move[1], move[0])),
        }
        rewards = {PLAYERS[0]: float(pay[0]), PLAYERS[1]: float(pay[1])}
        over = self._round >= self.params.rounds
        infos = {
            p: {
                "round": self._round,
                "program": self.params.menu[chosen[k]],
                "move": move[k],
                "opponent_move": move[1 - k],
            }
            for k, p in enumerate(PLAYERS)
        }
        truncations = dict.fromkeys(PLAYERS, over)
        terminations = dict.fromkeys(PLAYERS, False)
        if over:
            self.agents = []
        return obs, rewards, terminations, truncations, infos

    def state_hash(self) -> str:
        """The device's state hash in hex."""
        return self.device.state_hash().hex()
