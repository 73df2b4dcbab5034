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

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from accord.contracts.formal_contract import ACTIVE, EXHAUSTED, PROPOSED, SHARED
from accord.device import AgentDevice, AssetSpec, Device, DeviceConfig, Genesis
from accord.games.contracting import Contracting
from accord.mechanisms import dilemmas
from accord.mechanisms.contracting import ContractSpace, matrix_space, unilateral_space
from accord.mechanisms.dilemmas import Dilemma

__all__ = [
    "ASSET",
    "CONTRACT_KINDS",
    "COOPERATE",
    "DEFECT",
    "GAME_NAMES",
    "REFEREE",
    "ContractKind",
    "DilemmaSpec",
    "RoundResult",
    "Table",
    "embedded_device",
    "table_genesis",
]

ASSET = "COIN"
"""The contract's asset: deposits and transfers are in its base units."""
GAS_MONEY = 10**18
"""Each account's fee-asset balance at genesis (what pays for gas)."""
REFEREE = "referee"
"""The account that observes the moves and settles each round (the contract's observer)."""

GameName = Literal["prisoners_dilemma", "stag_hunt", "chicken", "public_goods"]
ContractKind = Literal["mutual", "unilateral"]
CONTRACT_KINDS: tuple[str, ...] = ("mutual", "unilateral")
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
    rounds, enough for every round). The referee pays the settlements' gas; with
    ``fee_payer = "parties"`` the contract reimburses it ``keeper_fee`` base units per
    settlement, split among the players.

    ``contract_kind`` says what a menu entry θ is: ``"mutual"`` (the default: every
    defector pays θ, split among the cooperators; every player deposits and must
    accept; ``matrix_space``) or ``"unilateral"`` (the proposer stakes θ on its own
    defection, paid to the others in equal shares; only it deposits, and the contract
    is in force as soon as it proposes; ``unilateral_space`` with threshold 0; with
    ``fee_payer = "parties"`` the committer alone pays the keeper fee).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    game: GameName = "prisoners_dilemma"
    players: StrictInt = Field(2, ge=2, le=32)
    T: StrictInt | None = Field(None, ge=-(10**9), le=10**9)
    R: StrictInt | None = Field(None, ge=-(10**9), le=10**9)
    P: StrictInt | None = Field(None, ge=-(10**9), le=10**9)
    S: StrictInt | None = Field(None, ge=-(10**9), le=10**9)
    multiplier: str = "2"
    contribution: StrictInt = Field(1, ge=1, le=10**6)
    unit: StrictInt = Field(100, ge=1, le=10**12)
    thetas: tuple[StrictInt, ...] = (100, 200, 300, 400, 500)
    deposit: StrictInt | None = Field(None, ge=0, le=10**30)
    fee_payer: Literal["referee", "parties"] = "referee"
    keeper_fee: StrictInt = Field(0, ge=0, le=10**24)
    contract_kind: ContractKind = "mutual"

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
        if self.fee_payer == "referee" and self.keeper_fee:
            raise ValueError(
                "keeper_fee needs fee_payer = 'parties' (the referee pays itself nothing)"
            )
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

    def space(self) -> ContractSpace:
        """The contract space a menu entry θ belongs to (``contract_kind``)."""
        top = max(self.thetas)
        if self.contract_kind == "unilateral":
            return unilateral_space(0, top, 1, name=self.game)
        return matrix_space(top, name=self.game)

    def params_of(self, theta: int) -> tuple[int, ...]:
        """The space's parameters for θ: ``(θ,)`` mutual, ``(0, θ)`` unilateral."""
        return (0, theta) if self.contract_kind == "unilateral" else (theta,)

    def rounds_deposit(self, rounds: int) -> int:
        """What each party escrows for ``rounds`` rounds (``deposit`` or max θ x rounds)."""
        return self.deposit if self.deposit is not None else max(self.thetas) * rounds


@dataclass(frozen=True)
class RoundResult:
    """One round: who cooperated, each player's payoff (points), net transfer and keeper
    fee paid (base units of :data:`ASSET`), and the gas the round's settlement used."""

    cooperated: tuple[bool, ...]
    payoffs: tuple[Fraction, ...]
    transfers: tuple[int, ...]
    fees: tuple[int, ...]
    gas: int


def table_genesis(
    spec: DilemmaSpec, players: Sequence[str], rounds: int, config: DeviceConfig
) -> Genesis:
    """The table's genesis (its setup): gas money for the players and the
    :data:`REFEREE` in the fee asset, and each player's deposit for ``rounds`` rounds in
    :data:`ASSET`. Bind the accounts' public keys (``public_keys``) to run it on a node
    whose agents hold their own keys."""
    return Genesis(
        assets={
            config.fee_asset: AssetSpec(
                issuer="treasury", alloc=dict.fromkeys((*players, REFEREE), GAS_MONEY)
            ),
            ASSET: AssetSpec(
                issuer="mint", alloc=dict.fromkeys(players, spec.rounds_deposit(rounds))
            ),
        }
    )


def embedded_device(
    spec: DilemmaSpec, players: Sequence[str], rounds: int, config: DeviceConfig, seed: int
) -> Device:
    """A new embedded device at the table's genesis, its keys in its own keyring
    (keeping the last two blocks: a long episode does not grow in memory)."""
    return Device(config, table_genesis(spec, players, rounds, config), seed=seed, history=2)


class Table:
    """One episode at the table: the device, the players and the contract, if any.

    The first proposal deploys :class:`~accord.contracts.formal_contract.FormalContract`
    through the driver (:class:`~accord.games.contracting.Contracting`, one block): an
    uncontracted episode puts nothing on the device. A contract is proposed by a player
    (:meth:`propose`: its own deposit is locked at once) and answered by the others
    (:meth:`respond`); once all have accepted it is in force and each :meth:`play`
    settles the round's transfers on the device (the referee posts the moves as the
    contract's features; a round in which nothing moves sends nothing, the last round is
    always settled, which ends the contract and refunds what is left). A party whose
    deposit runs out ends the contract: the rest of the episode is played uncontracted
    (``in_force`` turns false).

    **Mid-episode.** A proposal made after ``r`` rounds starts at round ``r + 1``: it
    settles only the rounds after it, and its default deposit covers those
    (``max θ × (rounds − r)``). **Unilateral** (``contract_kind``): the proposer is the
    contract's party 0 (the committer), the others follow in player order with deposit
    0, so the contract is active at once and :meth:`respond` has nothing to answer;
    the transfers are mapped back to player order.

    **Setup and play.** The device's genesis is :func:`table_genesis`; ``Table(...)``
    creates an embedded device at it, :meth:`on` seats the table at any
    :class:`~accord.device.AgentDevice` created from it, such as a node's
    :class:`~accord.client.RemoteDevice` (``docs/node.md``). Play only signs, submits,
    builds blocks and reads views and balances through that API, so it is the same
    both ways (``tests/client/test_game_both_ways.py``).
    """

    def __init__(
        self,
        spec: DilemmaSpec,
        players: Sequence[str],
        rounds: int,
        config: DeviceConfig,
        seed: int,
    ) -> None:
        """A table on a new embedded device (:func:`embedded_device`)."""
        self._seat(spec, players, rounds, embedded_device(spec, players, rounds, config, seed))

    @classmethod
    def on(
        cls, spec: DilemmaSpec, players: Sequence[str], rounds: int, device: AgentDevice
    ) -> Table:
        """A table on a device created elsewhere from :func:`table_genesis` (an
        embedded one, or a node's :class:`~accord.client.RemoteDevice` holding the
        players' and the referee's keys): the play is the same.

        Raises ``ValueError`` when the device is not at such a genesis (a player's
        :data:`ASSET` balance is not the table's deposit, or a block was already built).
        """
        table = cls.__new__(cls)
        table._seat(spec, players, rounds, device)
        if device.number != 0:
            raise ValueError(f"the table needs a fresh device, not one at block {device.number}")
        for name in table.players:
            held = device.balance(name, ASSET)
            if held != table.deposit:
                raise ValueError(
                    f"{name} holds {held} {ASSET}, not the table's genesis deposit {table.deposit}"
                )
        return table

    def _seat(
        self, spec: DilemmaSpec, players: Sequence[str], rounds: int, device: AgentDevice
    ) -> None:
        self.spec = spec
        self.game = spec.dilemma()
        self.players = tuple(players)
        self.rounds = rounds
        self.deposit = spec.rounds_deposit(rounds)
        self.space = spec.space()
        self.order: tuple[int, ...] = tuple(range(len(self.players)))
        """Player index of each of the contract's parties (the committer first when
        unilateral)."""
        self.device: AgentDevice = device
        self.driver: Contracting | None = None
        self.cid: int | None = None
        self.theta: int | None = None
        self.in_force = False
        self.exhausted = False
        self.round = 0
        self.settle_gas = 0

    def propose(self, proposer: int, theta: int) -> None:
        """Player ``proposer`` proposes the contract θ (base units) for every round left
        (``start`` is the next round)."""
        if self.cid is not None:
            raise RuntimeError("a contract was already proposed at this table")
        if self.round >= self.rounds:
            raise RuntimeError("the episode is over: no round left to contract on")
        n = len(self.players)
        if type(proposer) is not int or not 0 <= proposer < n:
            raise ValueError(f"proposer must be a player index < {n}, got {proposer!r}")
        spec = self.spec
        amount = (
            spec.deposit
            if spec.deposit is not None
            else max(spec.thetas) * (self.rounds - self.round)
        )
        deposits: tuple[int, ...] = (amount,) * n
        payer = {"referee": "", "parties": SHARED}[spec.fee_payer]
        if spec.contract_kind == "unilateral":  # the committer deposits and pays any fee
            self.order = (proposer, *(i for i in range(n) if i != proposer))
            deposits = (amount,) + (0,) * (n - 1)
            payer = payer and self.players[proposer]
        self.driver = Contracting.on(self.device, REFEREE)
        self.theta = theta
        self.cid = self.driver.propose(
            self.players[proposer],
            tuple(self.players[i] for i in self.order),
            self.space,
            spec.params_of(theta),
            asset=ASSET,
            deposits=deposits,
            observer=REFEREE,
            start=self.round + 1,
            end=self.rounds,
            fee_payer=payer,
            keeper_fee=spec.keeper_fee,
        )
        self.in_force = self.driver.status(self.cid) == ACTIVE

    def respond(self, player: int, accept: bool) -> None:
        """Player ``player`` answers the proposal (accepting locks its deposit)."""
        if self.cid is None or self.driver is None:
            raise RuntimeError("no contract was proposed")
        status = self.driver.status(self.cid)
        if status != PROPOSED:
            # rejected by another already, or active without this answer (a party with
            # a zero deposit is taken to accept): nothing left to answer
            self.in_force = status == ACTIVE
            return
        status = self.driver.respond(self.players[player], self.cid, accept)
        self.in_force = status == ACTIVE

    def sign(self, proposer: int, theta: int) -> None:
        """The contract θ, proposed by ``proposer`` and accepted by all."""
        self.propose(proposer, theta)
        for i in range(len(self.players)):
            if i != proposer:
                self.respond(i, True)
        if not self.in_force:
            raise RuntimeError("the contract is not active after every player accepted")

    def play(self, moves: Sequence[int]) -> RoundResult:
        """One round: the players' moves (0 cooperate, anything else defect) in; payoffs,
        the contract's transfers and keeper fees (settled on the device) and gas out."""
        coop = tuple(m == COOPERATE for m in moves)
        n = len(self.players)
        if len(coop) != n:
            raise ValueError(f"need {n} moves, got {len(coop)}")
        total = sum(coop)
        payoffs = tuple(dilemmas.payoff(self.game, c, total - c) for c in coop)
        self.round += 1
        net = fees = (0,) * n
        gas = 0
        if self.in_force and self.cid is not None and self.driver is not None:
            order = self.order
            features = tuple(COOPERATE if coop[i] else DEFECT for i in order)
            settled = self.driver.settle(REFEREE, self.cid, self.round, features)
            net_l, fees_l = [0] * n, [0] * n
            for party, i in enumerate(order):
                net_l[i] = settled.transfers[party]
                fees_l[i] = settled.fees[party]
            net, fees, gas = tuple(net_l), tuple(fees_l), settled.gas_used
            self.in_force = settled.status == ACTIVE
            self.exhausted = settled.status == EXHAUSTED
            self.settle_gas += gas
        return RoundResult(coop, payoffs, net, fees, gas)

    def fees_paid(self) -> int:
        """Everything the table's accounts paid in the fee asset (deploy, proposals,
        answers, settlements), in its base units."""
        fee = self.device.config.fee_asset
        return sum(GAS_MONEY - self.device.balance(a, fee) for a in (*self.players, REFEREE))

    def state_hash(self) -> str:
        """The device's state hash in hex."""
        return self.device.state_hash().hex()
