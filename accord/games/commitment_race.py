"""First-mover commitment races in Chicken and the ultimatum game, on the device.

Each run plays ``races`` independent races between ``player_0`` and ``player_1`` (in the
ultimatum game player 0 proposes). Each race is one
:class:`~accord.contracts.commitment_race.CommitmentRace` funded by a sponsor:

1. Both players race: each sends its winning commitment (:meth:`RaceGame.commitment`:
   straight; the offer 1; the threshold ``π − 1``) at the same moment, in an order drawn
   per race; each arrives after its account's latency (``device.latency_ms``) and the
   device orders them by its rule. Committing is weakly dominant under every design
   (:mod:`accord.mechanisms.races`), so both always race.
2. Under ``priority`` ordering in the open design the players also bid. With ``bid =
   "equilibrium"`` they bid once, in the all-pay auction's equilibrium (Hillman & Riley
   1989): a tip per gas drawn from :func:`~accord.mechanisms.races.bid_per_gas` (the
   binding commitment uses more gas than the void one; the rent is still fully
   dissipated). With ``bid = "escalate"`` they start at a tip of 1 and outbid each other
   by replace-by-fee while the mempool shows them the rival's tip (a myopic dollar
   auction, :meth:`_Race._escalate`). Under every other design a tip buys nothing, and
   nobody tips.
3. In the ``sealed`` design the commitments are sealed hashes, revealed in the window
   after (:mod:`accord.contracts.commitment_race`).
4. Play: a bound player plays its commitment and the other best-responds; when nothing
   binds (both commitments cancelled) Chicken is played at its symmetric mixed
   equilibrium (straight with probability ``q``, drawn from the run's generator) and the
   ultimatum game in its own order (the proposer offers 1, the responder accepts).
5. The sponsor settles; the pot pays the payoffs in the fee asset, so payoffs and fees
   are in one unit (``unit`` base units per point).

Metrics are per race, in points: who bound (``first_mover_share`` is player 0's share of
the races, ``bound_share`` the share where anyone bound), payoffs, tips and net
earnings per player, the tips' share of the prize (``dissipation``: the all-pay
equilibrium predicts 1) and Chicken's crash rate; ``theory_*`` give the theory's figures.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.contracts.commitment_race import CommitmentRace
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, Pending, checks
from accord.games.base import GameResult, register_game
from accord.games.glossary import NON_NEGATIVE, REAL, UNIT_INTERVAL, Better, Glossary, Metric
from accord.games.glossary import glossary as make_glossary
from accord.mechanisms.commit_reveal import commitment_hash
from accord.mechanisms.races import STRAIGHT, RaceGame, bid_per_gas, chicken_mixed

__all__ = ["BIND_GAS", "VOID_GAS", "CommitmentRaceGame", "CommitmentRaceParams"]

PLAYERS = ("player_0", "player_1")
SPONSOR = "sponsor"
BIND_GAS = 99_270
"""Gas a binding commitment uses (open design); ``tests/games/test_commitment_race.py``
pins it against the receipts."""
VOID_GAS = 57_162
"""Gas a void commitment uses (a rival's already bound)."""
GAS_LIMIT = 200_000


class CommitmentRaceParams(BaseModel):
    """The game, its payoffs in points, the race's design and how many races."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    game: Literal["chicken", "ultimatum"] = "chicken"
    T: int = Field(5, ge=0, le=10**6)
    R: int = Field(3, ge=0, le=10**6)
    S: int = Field(1, ge=0, le=10**6)
    P: int = Field(0, ge=0, le=10**6)
    pie: int = Field(100, ge=3, le=10**6)
    unit: int = Field(10**9, ge=1, le=10**12, description="base units per point")
    design: Literal["open", "sealed"] = "open"
    """``open``: the first commitment binds; ``sealed``: a commit-reveal window."""
    bid: Literal["equilibrium", "escalate", "none"] = "equilibrium"
    """Under priority ordering in the open design: the all-pay equilibrium bid, myopic
    replace-by-fee escalation in the mempool (``escalate``), or none."""
    races: int = Field(20, ge=1, le=1_000)

    @model_validator(mode="after")
    def _check(self) -> CommitmentRaceParams:
        self.spec().check()
        return self

    def spec(self) -> RaceGame:
        """The game in base units."""
        u = self.unit
        return RaceGame(self.game, self.T * u, self.R * u, self.S * u, self.P * u, self.pie * u)


GLOSSARY: Glossary = make_glossary(
    [
        Metric(
            "first_mover_share",
            "share",
            UNIT_INTERVAL,
            "Share of the races in which player 0's commitment bound.",
            Better.NEITHER,
            True,
        ),
        Metric(
            "bound_share",
            "share",
            UNIT_INTERVAL,
            "Share of the races in which some commitment bound (else both cancelled).",
            Better.NEITHER,
            True,
        ),
        Metric("payoff_0", "points", NON_NEGATIVE, "Player 0's payoff per race.", Better.NEITHER),
        Metric("payoff_1", "points", NON_NEGATIVE, "Player 1's payoff per race.", Better.NEITHER),
        Metric("tips_0", "points", NON_NEGATIVE, "Tips player 0 paid per race.", Better.LOWER),
        Metric("tips_1", "points", NON_NEGATIVE, "Tips player 1 paid per race.", Better.LOWER),
        Metric(
            "net_0",
            "points",
            REAL,
            "Player 0's payoff minus every fee it paid, per race.",
            Better.NEITHER,
            True,
        ),
        Metric(
            "net_1",
            "points",
            REAL,
            "Player 1's payoff minus every fee it paid, per race.",
            Better.NEITHER,
            True,
        ),
        Metric(
            "welfare",
            "points",
            REAL,
            "Both players' payoffs minus all their fees, per race.",
            Better.HIGHER,
            True,
        ),
        Metric(
            "dissipation",
            "share of the prize",
            NON_NEGATIVE,
            "Both players' tips per race over the race's prize V (all-pay theory: 1).",
            Better.LOWER,
            True,
        ),
        Metric(
            "crash_rate",
            "share",
            UNIT_INTERVAL,
            "Share of the races ending in (straight, straight) (Chicken; 0 otherwise).",
            Better.LOWER,
        ),
        Metric(
            "prize", "points", NON_NEGATIVE, "V: winning the race minus losing it.", Better.NEITHER
        ),
        Metric(
            "theory_dissipation",
            "share of the prize",
            NON_NEGATIVE,
            "The theory's tips over V: 1 under priority ordering in the open design "
            "(all-pay auction), NaN for the scripted escalation (no equilibrium claimed), "
            "else 0.",
            Better.NEITHER,
        ),
        Metric(
            "theory_fallback",
            "points",
            REAL,
            "Each player's expected payoff when nothing binds (Chicken's mixed "
            "equilibrium; the proposer's in the ultimatum game).",
            Better.NEITHER,
        ),
    ]
)


class _Race:
    """One race's device calls (steps 1-5 of the module docstring)."""

    def __init__(self, dev: Device, p: CommitmentRaceParams, rng: np.random.Generator) -> None:
        self.dev, self.p, self.rng, self.g = dev, p, rng, p.spec()
        fee_war = dev.config.ordering == "priority" and p.design == "open"
        self.bidding = fee_war and p.bid == "equilibrium"
        self.escalating = fee_war and p.bid == "escalate"

    def run(self) -> dict[str, Any]:
        dev, p, g = self.dev, self.p, self.g
        now = dev.number + 1
        commit_end = now + 3
        reveal_end = commit_end + (2 if p.design == "sealed" else 0)
        play_end = reveal_end + 2
        game = (g.kind, g.T, g.R, g.S, g.P, g.pie)
        sponsor = dev.account(SPONSOR)
        race = dev.deploy(
            sponsor,
            CommitmentRace,
            game,
            dev.config.fee_asset,
            PLAYERS,
            commit_end,
            reveal_end,
            play_end,
            p.design == "sealed",
        )
        fund = dev.call(sponsor, race, "fund", value={dev.config.fee_asset: g.pot})
        assert fund.ok, fund.error
        fees = [0, 0]
        tips = [0, 0]
        salts = [bytes(self.rng.integers(0, 256, 16, dtype=np.uint8)) for _ in PLAYERS]
        order = [int(i) for i in self.rng.permutation(2)]
        draws = [float(self.rng.random()) for _ in PLAYERS]
        bids = [bid_per_gas(u, g.prize, BIND_GAS, VOID_GAS) if self.bidding else 0 for u in draws]
        if self.escalating:
            bids = [1, 1]
        sent: dict[bytes, int] = {}
        signed: dict[int, Any] = {}
        for i in order:
            action = g.commitment(i)
            method, args = (
                ("seal", (commitment_hash(action, salts[i], PLAYERS[i]),))
                if p.design == "sealed"
                else ("commit", (action,))
            )
            tx = dev.sign(
                dev.account(PLAYERS[i]),
                race,
                method,
                *args,
                gas_limit=GAS_LIMIT,
                priority_fee=bids[i],
                max_fee=2 * dev.base_fee + bids[i] + 1,
            )
            sent[dev.submit(tx)] = i
            signed[i] = tx
        if self.escalating:
            self._escalate(race, order, signed, sent)
        self._mine_until(commit_end, sent, fees, tips)
        if p.design == "sealed":
            for i in order:
                self._send(i, race, "reveal", (g.commitment(i), salts[i]), fees, tips)
            self._mine_until(reveal_end, {}, fees, tips)
        bound, action, cancelled, _ = dev.view(race, "status")
        actions = self._play(race, bound, action, play_end, fees, tips)
        self._mine_until(play_end, {}, fees, tips)
        settled = dev.call(sponsor, race, "settle")
        assert settled.ok, settled.error
        result = settled.result
        assert isinstance(result, tuple)
        pay: tuple[int, ...] = result
        assert pay == g.payoffs(*actions), (pay, actions)
        return {
            "bound": bound,
            "cancelled": int(cancelled),
            "payoffs": pay,
            "fees": fees,
            "tips": tips,
            "crash": int(g.kind == "chicken" and actions == (STRAIGHT, STRAIGHT)),
        }

    def _escalate(
        self, race: str, order: list[int], signed: dict[int, Any], sent: dict[bytes, int]
    ) -> None:
        """Replace-by-fee escalation in the mempool before the block (Shubik's dollar
        auction, "The dollar auction game", J. Conflict Resolution 1971). A player whose
        commitment does not lead (by the tips it can see in the mempool) outbids the
        leader by the device's minimum replacement bump when winning at the new tip beats
        losing at its current one (``V − b' G_w > −b G_l``): a myopic rule, since the
        loser's commitment is included and pays too. It stops when no one raises."""
        dev, g = self.dev, self.g
        bump = dev.config.replacement_bump_pct
        block_at = dev.now + dev.config.block_time_ms  # what has arrived by the next block
        for _ in range(10_000):  # bounded; the rule stops long before
            raised = False
            for i in order:
                mine = signed[i]
                other = max(
                    (
                        item.tx.priority_fee if isinstance(item, Pending) else item.priority_fee
                        for item in dev.pending_view(PLAYERS[i], at=block_at)
                        if (item.tx.sender if isinstance(item, Pending) else item.sender)
                        == PLAYERS[1 - i]
                    ),
                    default=-1,
                )
                if other < mine.priority_fee:
                    continue
                new = max(other + 1, mine.priority_fee * (100 + bump) // 100 + 1)
                if new * BIND_GAS >= g.prize + mine.priority_fee * VOID_GAS:
                    continue
                max_fee = max(2 * dev.base_fee + new + 1, mine.max_fee * (100 + bump) // 100 + 1)
                tx = dev.sign(
                    dev.account(PLAYERS[i]),
                    race,
                    mine.method,
                    *mine.args,
                    gas_limit=GAS_LIMIT,
                    priority_fee=new,
                    max_fee=max_fee,
                    nonce=mine.nonce,
                )
                del sent[mine.hash]
                sent[dev.submit(tx)] = i
                signed[i] = tx
                raised = True
            if not raised:
                return

    def _play(
        self, race: str, bound: int, action: int, play_end: int, fees: list[int], tips: list[int]
    ) -> tuple[int, int]:
        g = self.g
        if bound >= 0:
            other = 1 - bound
            reply = g.best_response(other, action)
            moves = {bound: action, other: reply}
            for i in (0, 1):  # the proposer's offer first (the responder answers it)
                self._send(i, race, "play", (moves[i],), fees, tips)
            return (moves[0], moves[1])
        if g.kind == "chicken":
            q = chicken_mixed(g).straight
            moves = {i: int(Fraction(float(self.rng.random())) < q) for i in (0, 1)}
            for i in (0, 1):
                self._send(i, race, "play", (moves[i],), fees, tips)
            return (moves[0], moves[1])
        offer = 1
        self._send(0, race, "play", (offer,), fees, tips)
        reply = g.best_response(1, offer)
        self._send(1, race, "play", (reply,), fees, tips)
        return (offer, reply)

    def _send(
        self,
        i: int,
        race: str,
        method: str,
        args: tuple[Any, ...],
        fees: list[int],
        tips: list[int],
    ) -> None:
        r = self.dev.call(self.dev.account(PLAYERS[i]), race, method, *args, gas_limit=GAS_LIMIT)
        assert r.ok, (method, args, r.error)
        fees[i] += r.fee_paid
        tips[i] += r.tip_paid

    def _mine_until(
        self, last: int, sent: dict[bytes, int], fees: list[int], tips: list[int]
    ) -> None:
        """Build blocks through ``last``, charging each of ``sent``'s receipts to its player."""
        while self.dev.number < last:
            block = self.dev.build_block()
            for tx, r in zip(block.transactions, block.receipts, strict=True):
                i = sent.pop(tx.hash, None)
                if i is not None:
                    fees[i] += r.fee_paid
                    tips[i] += r.tip_paid
        assert not sent, "a commitment missed its window"


@register_game
class CommitmentRaceGame:
    """Two players race to bind an action under the device's ordering rule."""

    name: ClassVar[str] = "commitment_race"
    Params: ClassVar[type[BaseModel]] = CommitmentRaceParams
    glossary: ClassVar[Glossary] = GLOSSARY

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        p = CommitmentRaceParams.model_validate(params.model_dump())
        g = p.spec()
        rng = np.random.default_rng(seed)
        fee = device.fee_asset
        alloc = {SPONSOR: 10**18, PLAYERS[0]: 10**18, PLAYERS[1]: 10**18}
        dev = Device(
            device, Genesis(assets={fee: AssetSpec(issuer="treasury", alloc=alloc)}), seed=seed
        )
        checks.check_every_block(dev)
        rows: list[dict[str, Any]] = []
        for k in range(p.races):
            out = _Race(dev, p, rng).run()
            rows.append(
                {
                    "race": k + 1,
                    "bound": out["bound"],
                    "cancelled": out["cancelled"],
                    "payoff_0": out["payoffs"][0],
                    "payoff_1": out["payoffs"][1],
                    "tips_0": out["tips"][0],
                    "tips_1": out["tips"][1],
                    "fees_0": out["fees"][0],
                    "fees_1": out["fees"][1],
                    "crash": out["crash"],
                }
            )
        n, u = p.races, p.unit

        def mean(key: str) -> float:
            return float(sum(r[key] for r in rows)) / n / u

        net = [mean(f"payoff_{i}") - mean(f"fees_{i}") for i in (0, 1)]
        fee_war = device.ordering == "priority" and p.design == "open"
        theory_dissipation = {"equilibrium": 1.0, "escalate": float("nan"), "none": 0.0}[p.bid]
        if not fee_war:
            theory_dissipation = 0.0
        metrics: dict[str, float | int] = {
            "first_mover_share": sum(r["bound"] == 0 for r in rows) / n,
            "bound_share": sum(r["bound"] >= 0 for r in rows) / n,
            "payoff_0": mean("payoff_0"),
            "payoff_1": mean("payoff_1"),
            "tips_0": mean("tips_0"),
            "tips_1": mean("tips_1"),
            "net_0": net[0],
            "net_1": net[1],
            "welfare": net[0] + net[1],
            "dissipation": (mean("tips_0") + mean("tips_1")) * u / g.prize,
            "crash_rate": sum(r["crash"] for r in rows) / n,
            "prize": g.prize / u,
            "theory_dissipation": theory_dissipation,
            "theory_fallback": float(g.fallback()[0]) / u,
        }
        return GameResult(metrics, dev.state_hash().hex(), dev.number, {"races": rows})
