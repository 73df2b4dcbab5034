"""The latency race for a backrun, and the exclusive order-flow deal, on the device.

Each race (:mod:`accord.mechanisms.latency` has the theory):

1. A liquidity provider deploys a fresh Uniswap v2 pool (``TOK``/``ETH``, the fee asset)
   at the reference price ``p0 = eth_reserve / tok_reserve`` ETH per TOK, and a trader
   buys TOK with ``victim_eth`` ETH: a price-moving trade, one block.
2. The backrun: selling ``a*`` TOK back into the pool for ``out*`` ETH, where ``a*``
   maximises ``out(a) − a·p0`` over integers with the pool's exact v2 arithmetic
   (:func:`best_backrun`). Its value at the reference price, floored, is the prize ``V``.
3. Every searcher sends the same swap (``a*`` in, at least ``out*`` back), detected
   ``d_i ~ U{0..jitter_ms}`` ms after the block and arriving ``latency_i`` ms later
   (``device.latency_ms``, set here: searcher ``i`` has ``base_latency_ms + i ·
   latency_gap_ms``), submitted in a random order. Under ``priority`` ordering each
   also tips the all-pay equilibrium bid per gas (:func:`~accord.mechanisms.latency.
   pga_bid_per_gas`); under the other rules a tip buys nothing and nobody tips.
4. One block: the first swap the device runs captures ``V``; the rest miss ``min_out``
   and revert, paying their gas.

Searcher profit is ETH received minus TOK sold valued at ``p0`` minus every fee paid,
exact in fractions. **Two arms** share the seed (the same detection delays, orders and
bid quantiles): without any deal, and with the slowest searcher (the *partner*) in an
exclusive order-flow deal with the builder, a builder configuration (``deal``):

* ``latency``: the builder runs the partner's searches in-house, so its latency is 0;
  the device still enforces the ordering rule.
* ``first_slot``: a builder with discretion (``ordering_enforced = false``,
  :class:`PartnerFirstBuilder`) runs the partner's transactions first under any rule;
  under ``priority`` nobody bids against the slot.

After its races the partner pays the builder, in one transfer, the theory's most it
would pay per race (:func:`theory_premium`, floored) times the races. The
``integration_premium`` is the partner's measured profit with the deal minus without,
beside the theory's.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.contracts.amm import ProductAMM
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks
from accord.device.builder import BuildRequest, Choice
from accord.device.mempool import Pending, SealedTx
from accord.device.ordering import OrderingRule, make_rule
from accord.games.base import GameResult, register_game
from accord.games.glossary import Glossary
from accord.games.latency_glossary import GLOSSARY
from accord.mechanisms.cfmm.v2 import amount_out
from accord.mechanisms.latency import deal_value, fcfs_win_shares, pga, pga_bid_per_gas

__all__ = ["LOSE_GAS", "WIN_GAS", "LatencyRaceGame", "LatencyRaceParams", "best_backrun"]

TOKEN = "TOK"
LP, TRADER, BUILDER = "lp", "trader", "builder"
WIN_GAS = 63_736
"""Gas the capturing swap uses; ``tests/games/test_latency_race.py`` pins it against the
receipts."""
LOSE_GAS = 44_128
"""Gas a swap that misses ``min_out`` uses before it reverts."""
GAS_LIMIT = 200_000


class LatencyRaceParams(BaseModel):
    """The pool, the trade, the searchers' latencies and how many races."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    searchers: int = Field(2, ge=2, le=8)
    base_latency_ms: int = Field(50, ge=0, le=5_000)
    latency_gap_ms: int = Field(10, ge=0, le=5_000)
    """Searcher ``i``'s latency is ``base_latency_ms + i · latency_gap_ms``."""
    jitter_ms: int = Field(20, ge=0, le=1_000)
    """Detection delays are uniform on ``0..jitter_ms``."""
    tok_reserve: int = Field(10**21, ge=10**6, le=10**27)
    eth_reserve: int = Field(10**21, ge=10**6, le=10**27)
    victim_eth: int = Field(5 * 10**19, ge=1, le=10**27)
    fee_bps: int = Field(30, ge=0, le=1_000)
    bid: Literal["equilibrium", "none"] = "equilibrium"
    """Under priority ordering: the all-pay equilibrium tip, or none."""
    deal: Literal["latency", "first_slot"] = "latency"
    """What the partner's exclusive order-flow deal buys: ``latency`` (its searches run
    inside the builder at zero latency; the device still enforces the rule) or
    ``first_slot`` (a builder with discretion, ``ordering_enforced = false``, runs the
    partner's transactions first whatever the rule)."""
    unit: int = Field(10**15, ge=1, le=10**18, description="base units per point")
    races: int = Field(20, ge=1, le=1_000)

    @model_validator(mode="after")
    def _victim_moves_the_price(self) -> LatencyRaceParams:
        if amount_out(self.victim_eth, self.eth_reserve, self.tok_reserve, self.fee_bps) < 1:
            raise ValueError(f"victim_eth {self.victim_eth} buys no TOK: nothing to backrun")
        return self


def best_backrun(reserves: tuple[int, int], fee_bps: int, p0: Fraction) -> tuple[int, int]:
    """``(a*, out*)``: the TOK amount whose sale into a pool of ``(tok, eth)`` reserves
    most exceeds its value at ``p0``, and what it pays, exact in v2 integers.

    The real optimum of ``out(a) − a·p0`` with ``out(a) = y γ a / (x + γ a)`` solves
    ``y γ x / (x + γ a)² = p0``: ``a = (√(y γ x / p0) − x) / γ`` (Uniswap v2's output
    formula; Angeris et al., "An analysis of Uniswap markets", 2019). It seeds an
    integer search that climbs the concave exact profit to its peak. ``(0, 0)`` when no
    sale pays."""
    x, y = reserves
    gamma = Fraction(10_000 - fee_bps, 10_000)

    def profit(a: int) -> Fraction:
        return amount_out(a, x, y, fee_bps) - a * p0 if a > 0 else Fraction(0)

    root = math.isqrt(int(y * gamma * x / p0))
    a = max(0, int((root - x) / gamma))
    step = max(1, a // 1_000)
    while step >= 1:  # climb to the integer peak: bigger steps first
        while profit(a + step) > profit(a):
            a += step
        while a - step >= 0 and profit(a - step) > profit(a):
            a -= step
        step //= 2
    if profit(a) <= 0:
        return 0, 0
    return a, amount_out(a, x, y, fee_bps)


@dataclass(frozen=True)
class Race:
    """One race's outcome: the winner's index (-1: nobody captured), the prize ``V``
    (floored) and its exact value ``gross``, and per searcher its profit (exact), tips,
    fees and gas."""

    winner: int
    prize: int
    gross: Fraction
    profit: list[Fraction]
    tips: list[int]
    fees: list[int]
    gas: list[int]


class PartnerFirstBuilder:
    """An integrated builder: its partner's transactions first, then everyone else's in
    the rule's order (by arrival where the mempool is sealed). With ``ordering_enforced =
    false`` its order stands; under the batch rule batch calls still settle together."""

    follows_rule: ClassVar[bool] = False

    def __init__(self, address: str, partner: str, rule: OrderingRule) -> None:
        self.address, self.partner, self.rule = address, partner, rule

    def build(self, request: BuildRequest) -> list[Choice]:
        pending = list(request.pending)
        txs = [x for x in pending if isinstance(x, Pending)]
        ordered: list[Pending | SealedTx]
        if len(txs) == len(pending):
            ordered = [*self.rule.order(txs, number=request.number, base_fee=request.base_fee)]
        else:
            ordered = sorted(pending, key=lambda x: x.arrival)
        first = [x.hash for x in ordered if _sender(x) == self.partner]
        rest = [x.hash for x in ordered if _sender(x) != self.partner]
        return [*first, *rest, *(b.hash for b in request.bundles)]


def _sender(item: Pending | SealedTx) -> str:
    return item.tx.sender if isinstance(item, Pending) else item.sender


class _Arm:
    """One arm's device and its races (steps 1-4 of the module docstring)."""

    def __init__(self, p: LatencyRaceParams, device: DeviceConfig, seed: int, deal: bool) -> None:
        self.p, self.deal = p, deal
        self.names = [f"searcher_{i}" for i in range(p.searchers)]
        self.partner = self.names[-1]
        latency = {n: p.base_latency_ms + i * p.latency_gap_ms for i, n in enumerate(self.names)}
        first_slot = deal and p.deal == "first_slot"
        if deal and not first_slot:
            latency[self.partner] = 0
        self.latencies = [latency[n] for n in self.names]
        span = max(self.latencies) + p.jitter_ms
        if span >= device.block_time_ms:
            raise ValueError(
                f"latencies plus jitter ({span} ms) must stay below block_time_ms "
                f"({device.block_time_ms}), so every searcher lands in the next block"
            )
        update: dict[str, object] = {"latency_ms": {**device.latency_ms, **latency}}
        if first_slot:
            update["ordering_enforced"] = False
        cfg = device.model_copy(update=update)
        eth = cfg.fee_asset
        big = 10**30
        alloc_eth = {LP: big, TRADER: big, **dict.fromkeys(self.names, big)}
        alloc_tok = {LP: big, **dict.fromkeys(self.names, big)}
        genesis = Genesis(
            assets={
                eth: AssetSpec(issuer="treasury", alloc=alloc_eth),
                TOKEN: AssetSpec(issuer="treasury", alloc=alloc_tok),
            },
            accounts=[cfg.builder],
        )
        builder = (
            PartnerFirstBuilder(
                cfg.builder,
                self.partner,
                make_rule(cfg.ordering, seed=seed, fee_kind=cfg.fee_market),
            )
            if first_slot
            else None
        )
        self.dev = Device(cfg, genesis, seed=seed, builder=builder)
        self.first_slot = first_slot
        checks.check_every_block(self.dev)
        self.rng = np.random.default_rng(seed)
        self.eth = eth
        self.p0 = Fraction(p.eth_reserve, p.tok_reserve)

    def race(self) -> Race:
        dev, p, eth = self.dev, self.p, self.eth
        lp = dev.account(LP)
        pool = dev.deploy(lp, ProductAMM, TOKEN, eth, p.fee_bps)
        value = {TOKEN: p.tok_reserve, eth: p.eth_reserve}
        added = dev.call(lp, pool, "add_liquidity", 0, LP, value=value)
        assert added.ok, added.error
        hit = dev.call(
            dev.account(TRADER), pool, "swap", eth, p.victim_eth, 0, TRADER, TOKEN,
            value={eth: p.victim_eth}, gas_limit=GAS_LIMIT,
        )  # fmt: skip
        assert hit.ok, hit.error
        reserves = dev.view(pool, "reserves")
        a, out = best_backrun((reserves[0], reserves[1]), p.fee_bps, self.p0)
        gross = out - a * self.p0
        prize = math.floor(gross)
        n = p.searchers
        order = [int(i) for i in self.rng.permutation(n)]
        delays = [int(d) for d in self.rng.integers(0, p.jitter_ms + 1, size=n)]
        quantiles = [float(u) for u in self.rng.random(n)]
        bidding = (
            dev.config.ordering == "priority"
            and p.bid == "equilibrium"
            and a > 0
            and not self.first_slot  # the partner has the slot: bids buy nothing
        )
        base = dev.base_fee
        net_prize = max(0, prize - base * (WIN_GAS - LOSE_GAS))
        sent: dict[bytes, int] = {}
        now = dev.now
        for i in order:
            tip = pga_bid_per_gas(quantiles[i], net_prize, WIN_GAS, LOSE_GAS, n) if bidding else 0
            if a == 0:
                continue
            tx = dev.sign(
                dev.account(self.names[i]), pool, "swap", TOKEN, a, out, self.names[i], eth,
                value={TOKEN: a}, gas_limit=GAS_LIMIT, priority_fee=tip,
                max_fee=2 * base + tip + 1,
            )  # fmt: skip
            sent[dev.submit(tx, at=now + delays[i])] = i
        block = dev.build_block()
        winner = -1
        profit = [Fraction(0)] * n
        tips, fees, gas = [0] * n, [0] * n, [0] * n
        for tx, r in zip(block.transactions, block.receipts, strict=True):
            i = sent.pop(tx.hash, -1)
            if i < 0:
                continue
            fees[i], tips[i], gas[i] = r.fee_paid, r.tip_paid, r.gas_used
            profit[i] -= r.fee_paid
            got = r.result if r.ok and type(r.result) is int else 0
            if got:
                assert winner < 0, "two searchers captured one backrun"
                winner = i
                profit[i] += got - a * self.p0
        assert not sent, "a searcher's swap missed its block"
        return Race(winner, prize, gross, profit, tips, fees, gas)

    def run(self) -> list[Race]:
        return [self.race() for _ in range(self.p.races)]

    def pay_builder(self, amount: int) -> None:
        """The partner pays the builder ``amount`` for the deal (one transfer)."""
        if amount > 0:
            r = self.dev.call(
                self.dev.account(self.partner), self.dev.config.builder, value={self.eth: amount}
            )
            assert r.ok, r.error


def theory_shares(p: LatencyRaceParams, ordering: str, deal: bool) -> tuple[Fraction, ...]:
    """Each searcher's win share by the theory.

    * ``batch``: 0 each: the ``n`` identical swaps clear together at one uniform price,
      ``n · a*`` against the curve, which pays each less than ``out*``, so every order
      is refunded and nobody captures the backrun (a deal changes nothing).
    * A ``first_slot`` deal: the partner wins every race.
    * ``fcfs``, and ``priority`` without bids (ties in the tip fall back to arrival): by
      arrival (:func:`~accord.mechanisms.latency.fcfs_win_shares`; with a ``latency``
      deal the partner's latency is 0).
    * ``priority`` with the all-pay bids, and ``random``: ``1/n`` each (symmetry)."""
    n = p.searchers
    if ordering == "batch":
        return (Fraction(0),) * n
    if deal and p.deal == "first_slot":
        return (Fraction(0),) * (n - 1) + (Fraction(1),)
    if ordering == "random" or (ordering == "priority" and p.bid == "equilibrium"):
        return (Fraction(1, n),) * n
    lat = [p.base_latency_ms + i * p.latency_gap_ms for i in range(n)]
    if deal:
        lat[-1] = 0
    return fcfs_win_shares(lat, p.jitter_ms)


def theory_premium(
    p: LatencyRaceParams, ordering: str, prize: int, without: Fraction, with_: Fraction
) -> Fraction:
    """The most the partner pays per race for the deal: its expected profit with it
    minus without (fees aside). Where nobody tips that is ``V (P_with − P_without)``
    (:func:`~accord.mechanisms.latency.deal_value`). In the priority gas auction the
    partner expects 0 without the deal (:func:`~accord.mechanisms.latency.pga`); a
    ``first_slot`` deal stops the bidding and hands it ``V``; a ``latency`` deal buys
    nothing, since the bids order the block."""
    if ordering == "priority" and p.bid == "equilibrium":
        return Fraction(prize) if p.deal == "first_slot" else Fraction(0)
    return deal_value(prize, with_, without)


@register_game
class LatencyRaceGame:
    """Searchers race for a backrun under the device's ordering rule; the slowest buys
    an exclusive order-flow deal from the builder."""

    name: ClassVar[str] = "latency_race"
    Params: ClassVar[type[BaseModel]] = LatencyRaceParams
    glossary: ClassVar[Glossary] = GLOSSARY

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        p = LatencyRaceParams.model_validate(params.model_dump())
        base = _Arm(p, device, seed, deal=False)
        rows0 = base.run()
        integrated = _Arm(p, device, seed, deal=True)
        rows1 = integrated.run()
        prize = rows0[0].prize
        shares0 = theory_shares(p, device.ordering, False)
        shares1 = theory_shares(p, device.ordering, True)
        premium = theory_premium(p, device.ordering, prize, shares0[-1], shares1[-1])
        price = math.floor(premium)
        integrated.pay_builder(price * p.races)
        metrics = _metrics(p, rows0, rows1, shares0, premium, prize, price, device.ordering)
        digest = hashlib.sha256(base.dev.state_hash() + integrated.dev.state_hash()).hexdigest()
        table = [
            {
                "arm": arm,
                "race": k + 1,
                "winner": r.winner,
                "prize": r.prize,
                **{f"profit_{i}": float(r.profit[i]) for i in range(p.searchers)},
                **{f"tips_{i}": r.tips[i] for i in range(p.searchers)},
            }
            for arm, rows in (("no_deal", rows0), ("deal", rows1))
            for k, r in enumerate(rows)
        ]
        blocks = base.dev.number + integrated.dev.number
        return GameResult(metrics, digest, blocks, {"races": table})


def _metrics(
    p: LatencyRaceParams,
    rows0: list[Race],
    rows1: list[Race],
    shares0: tuple[Fraction, ...],
    premium: Fraction,
    prize: int,
    price: int,
    ordering: str,
) -> dict[str, float | int]:
    n, u, last = p.races, p.unit, p.searchers - 1

    def share(rows: list[Race], i: int) -> float:
        return sum(r.winner == i for r in rows) / n

    def profit(rows: list[Race], i: int) -> float:
        return float(sum((r.profit[i] for r in rows), Fraction(0)) / n / u)

    def tips(rows: list[Race]) -> float:
        return sum(sum(r.tips) for r in rows) / n / u

    gross = sum((r.gross for r in rows0), Fraction(0)) / n
    extra_wins = sum(r.winner == last for r in rows1) - sum(r.winner == last for r in rows0)
    captured = float(Fraction(extra_wins, n) * gross / u)
    theory_revenue = (
        float(pga(prize, p.searchers).builder_revenue / u)
        if (ordering == "priority" and p.bid == "equilibrium")
        else 0.0
    )
    return {
        "win_share_fast": share(rows0, 0),
        "win_share_slow": share(rows0, last),
        "theory_win_share_fast": float(shares0[0]),
        "theory_win_share_slow": float(shares0[last]),
        "capture_share": sum(r.winner >= 0 for r in rows0) / n,
        "profit_fast": profit(rows0, 0),
        "profit_slow": profit(rows0, last),
        "builder_revenue": tips(rows0),
        "theory_builder_revenue": theory_revenue,
        "dissipation": tips(rows0) * u / prize if prize else 0.0,
        "prize": prize / u,
        "deal_win_share_slow": share(rows1, last),
        "integration_premium": profit(rows1, last) - profit(rows0, last),
        "integration_premium_gross": captured,
        "theory_integration_premium": float(premium / u),
        "deal_price": price / u,
        "builder_gain": price / u + tips(rows1) - tips(rows0),
        "rival_loss": profit(rows0, 0) - profit(rows1, 0),
    }
