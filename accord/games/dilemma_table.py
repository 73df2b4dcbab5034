"""The table a matrix dilemma is played at: the game, its money, its contract, its device.

Shared by the scenario game (:mod:`accord.games.social_dilemma`) and the learning env
(:mod:`accord.envs.matrix_dilemma`), so that both play the same rounds on the same
device. A :class:`DilemmaSpec` names the game (:mod:`accord.mechanisms.dilemmas`) and
how money relates to payoffs; a :class:`Table` is one episode's device: the players'
accounts, the contract (if all accepted) with its deposits escrowed on the device, and
each round's settlement.

**Money and payoffs.** Payoffs are in *points* (exact rationals); money is in base units
of the contract's asset. One point is worth ``unit`` base units, so a transfer of ``x``
base units adds ``x / unit`` to a reward. The menu's θ values are base units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from accord.device import AssetSpec, Device, DeviceConfig, Genesis
from accord.mechanisms import dilemmas
from accord.mechanisms.dilemmas import Dilemma

__all__ = [
    "ASSET",
    "COOPERATE",
    "DEFECT",
    "GAME_NAMES",
    "REFEREE",
    "DilemmaSpec",
    "RoundResult",
    "Table",
]

ASSET = "COIN"
"""The contract's asset: deposits and transfers are in its base units."""
REFEREE = "referee"
"""The account that observes the moves and settles each round (the contract's observer)."""

GameName = Literal["prisoners_dilemma", "stag_hunt", "chicken", "public_goods"]
GAME_NAMES: tuple[str, ...] = ("prisoners_dilemma", "stag_hunt", "chicken", "public_goods")

COOPERATE, DEFECT = 0, 1
"""Action codes, and the contract's features (``matrix_space``: 0 cooperate, 1 defect)."""


class DilemmaSpec(BaseModel):
    """Which dilemma, how many players, and what the contract menu offers.

    ``T``, ``R``, ``P``, ``S`` override the matrix games' defaults (PD 5/3/1/0, stag
    hunt R=4, T=P=3, S=0, chicken 5/3/1/0); ``multiplier`` (``"8/5"`` or an int) and
    ``contribution`` set the public goods game. ``thetas`` are the menu's transfers θ in
    base units (menu entry 0 is always "no contract"); ``unit`` base units make one
    point; ``deposit`` is what each party escrows (default: the largest θ times the
    rounds, enough for every round).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    game: GameName = "prisoners_dilemma"
    players: int = Field(2, ge=2, le=32)
    T: int | None = None
    R: int | None = None
    P: int | None = None
    S: int | None = None
    multiplier: str = "2"
    contribution: int = Field(1, ge=1, le=10**6)
    unit: int = Field(100, ge=1, le=10**12)
    thetas: tuple[int, ...] = (100, 200, 300, 400, 500)
    deposit: int | None = Field(None, ge=0, le=10**30)

    @field_validator("multiplier", mode="before")
    @classmethod
    def _multiplier(cls, value: object) -> str:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"multiplier must be an int or a string like '8/5', got {value!r}")
        try:
            return str(Fraction(value))
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"multiplier must be a rational like '8/5', got {value!r}") from None

    @model_validator(mode="after")
    def _check(self) -> DilemmaSpec:
        if not self.thetas or len(self.thetas) > 64:
            raise ValueError(f"thetas must hold 1 to 64 values, got {len(self.thetas)}")
        if any(t <= 0 or t > 10**24 for t in self.thetas) or len(set(self.thetas)) != len(
            self.thetas
        ):
            raise ValueError(f"thetas must be distinct ints in [1, 10**24], got {self.thetas}")
        self.dilemma()  # the payoffs' orderings and the multiplier's range
        return self

    def dilemma(self) -> Dilemma:
        """The game (:mod:`accord.mechanisms.dilemmas`) these settings describe."""
        n = self.players
        given = {k: v for k, v in (("T", self.T), ("R", self.R), ("P", self.P), ("S", self.S))}
        over = {k: v for k, v in given.items() if v is not None}
        if self.game == "public_goods":
            if over:
                raise ValueError(f"public_goods takes no T/R/P/S, got {sorted(over)}")
            return dilemmas.public_goods(n, Fraction(self.multiplier), self.contribution)
        if self.multiplier != "2" or self.contribution != 1:
            raise ValueError(f"{self.game} takes no multiplier or contribution")
        build = {
            "prisoners_dilemma": dilemmas.prisoners_dilemma,
            "stag_hunt": dilemmas.stag_hunt,
            "chicken": dilemmas.chicken,
        }[self.game]
        return build(n, **over)

    def theta_points(self, theta: int) -> Fraction:
        """θ in base units as points."""
        return Fraction(theta, self.unit)

    def rounds_deposit(self, rounds: int) -> int:
        """What each party escrows for ``rounds`` rounds (``deposit`` or max θ x rounds)."""
        return self.deposit if self.deposit is not None else max(self.thetas) * rounds


@dataclass(frozen=True)
class RoundResult:
    """One round: who cooperated, each player's payoff (points), net transfer (base
    units) and the gas the round's settlement used."""

    cooperated: tuple[bool, ...]
    payoffs: tuple[Fraction, ...]
    transfers: tuple[int, ...]
    gas: int


class Table:
    """One episode at the table: the device, the players, the contract in force.

    ``contract`` is the menu entry every player accepted (``None``: play uncontracted).
    """

    def __init__(
        self,
        spec: DilemmaSpec,
        players: Sequence[str],
        rounds: int,
        config: DeviceConfig,
        seed: int,
    ) -> None:
        self.spec = spec
        self.game = spec.dilemma()
        self.players = tuple(players)
        self.rounds = rounds
        deposit = spec.rounds_deposit(rounds)
        genesis = Genesis(
            assets={
                config.fee_asset: AssetSpec(
                    issuer="treasury", alloc=dict.fromkeys((*self.players, REFEREE), 10**18)
                ),
                ASSET: AssetSpec(issuer="mint", alloc=dict.fromkeys(self.players, deposit)),
            }
        )
        self.device = Device(config, genesis, seed=seed, history=2)
        self.theta: int | None = None
        self.round = 0

    def sign(self, theta: int | None) -> None:
        """Put the contract ``θ`` (base units) in force for the rest of the episode."""
        self.theta = theta

    def play(self, moves: Sequence[int]) -> RoundResult:
        """One round: the players' moves (0 cooperate, anything else defect) in, payoffs,
        the contract's transfers (settled on the device) and gas out."""
        coop = tuple(m == COOPERATE for m in moves)
        if len(coop) != self.game.n:
            raise ValueError(f"need {self.game.n} moves, got {len(coop)}")
        total = sum(coop)
        payoffs = tuple(dilemmas.payoff(self.game, c, total - c) for c in coop)
        self.round += 1
        net = (0,) * len(coop)
        if self.theta is not None:
            net = _defector_pays(self.theta, coop)
        self.device.build_block()
        return RoundResult(coop, payoffs, net, 0)

    def state_hash(self) -> str:
        """The device's state hash in hex."""
        return self.device.state_hash().hex()


def _defector_pays(theta: int, coop: Sequence[bool]) -> tuple[int, ...]:
    """Placeholder until the contracting driver lands."""
    c = [i for i, x in enumerate(coop) if x]
    d = [i for i, x in enumerate(coop) if not x]
    net = [0] * len(coop)
    if c and d:
        base, extra = divmod(theta * len(d), len(c))
        for i in d:
            net[i] = -theta
        for j, i in enumerate(c):
            net[i] = base + (1 if j < extra else 0)
    return tuple(net)
