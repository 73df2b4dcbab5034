"""Time-bandit forks on the device: MEV left in past blocks plus a reorg bounty.

Each round, on one device (``finality_depth = k``, fork choice ``longest``):

1. An honest block ``b`` holds three transactions: the sponsor ``alice`` posts a
   :class:`~accord.contracts.reorg_bounty.ReorgBounty` of ``bounty`` USD for the bandit,
   payable if her payment ``T`` (``payment`` USD to ``merchant``) is in no block
   ``<= b``; ``T`` itself; and the honest searcher's ``take`` of a :class:`Prize` worth
   ``mev`` USD (a first-come opportunity, like a liquidation bonus: the MEV ``V``).
2. ``depth - 1`` honest blocks follow, so ``T`` is ``depth`` blocks deep.
3. The bandit (share ``α`` of block production) forks when MEV plus bounty beats the
   rewards its race puts at risk, ``P_win (V + B) > R E[A; lost]``, with the race
   solved exactly by :func:`accord.mechanisms.time_bandit.capped_race`: it gives up
   when the public chain is ``give_up`` blocks ahead, and it is lost once ``k - depth
   + 1`` public blocks are built during it (the fork would then be deeper than ``k``
   and the device refuses it); with ``depth > k`` (``T`` final) there is no race.
4. The race is drawn block by block (each block the bandit's with probability ``α``,
   from the run's seed); each public block is built on the device. A won race is a real
   ``device.reorg``: its first block holds alice's post, her double spend of ``T``'s
   nonce (to herself) and the bandit's own ``take``; the rest are empty. A lost race
   orphans the bandit's ``A`` blocks: ``reward`` each, forgone (block rewards are not
   paid on the device; they are the model's accounting).
5. Once ``b`` is final, the bandit claims the bounty if the condition holds, else alice
   takes her refund.

Metrics are read from the device (balances, the contract's results) except the
forgone rewards. The model and its threshold: ``docs/finality.md``.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.contracts.reorg_bounty import ReorgBounty
from accord.device import (
    AssetSpec,
    Context,
    Contract,
    Device,
    DeviceConfig,
    Genesis,
    Revert,
    Var,
    checks,
    public,
)
from accord.games import time_bandit_backrun as BR
from accord.games.base import GameResult, register_game
from accord.games.glossary import Glossary
from accord.games.time_bandit_glossary import GLOSSARY
from accord.mechanisms import time_bandit as TB

__all__ = ["Prize", "TimeBanditGame", "TimeBanditParams"]

USD = "USD"
COLD = "alice_cold"
"""Where the sponsor's double spend sends the payment (her own second account)."""
SPONSOR, MERCHANT, SEARCHER, BANDIT, MARKET = "alice", "merchant", "searcher", "bandit", "market"


class Prize(Contract):
    """A first-come opportunity: the market arms it with ``amount``; the first
    :meth:`take` after that is paid it."""

    amount: Var[int] = Var(0)

    @public
    def arm(self, ctx: Context) -> None:
        """Hold what the caller sends (in USD) as the next prize."""
        if self.amount:
            raise Revert("the prize is armed already")
        sent = ctx.value.get(USD, 0)
        if type(sent) is not int or sent <= 0:
            raise Revert("send a positive USD amount")
        self.amount = sent

    @public
    def take(self, ctx: Context) -> int:
        """Pay the prize to the caller (the first one only)."""
        amount = self.amount
        if not amount:
            raise Revert("no prize: taken already")
        self.amount = 0
        ctx.transfer(USD, ctx.sender, amount)
        return amount


class TimeBanditParams(BaseModel):
    """The bandit's share, the depth of the target, when it gives up, the values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rounds: int = Field(40, ge=1, le=2_000)
    alpha_bps: int = Field(3_000, ge=1, le=9_999)
    depth: int = Field(2, ge=1, le=32)
    give_up: int = Field(6, ge=1, le=64)
    reward: int = Field(100, ge=0, le=10**12)
    """A block's reward to its builder ``R`` (USD base units; the model's accounting)."""
    mev: int = Field(2_000, ge=1, le=10**12)
    bounty: int = Field(3_000, ge=1, le=10**12)
    payment: int = Field(10_000, ge=1, le=10**12)
    mev_kind: Literal["prize", "backrun"] = "prize"
    """The MEV in block ``b``: a first-come ``prize`` worth ``mev`` (no ordering rule
    removes it), or the ``backrun`` of a trader's swap (:mod:`accord.games.time_bandit_backrun`),
    which the ordering rule and the mempool decide; ``mev`` is then unused."""
    placement: Literal["same_block", "next_block"] = "same_block"
    """Backrun: the bandit's backrun in the fork block holding the trade, or alone in the next."""
    bandit_order: Literal["backrun", "batch"] = "backrun"
    """Backrun: the bandit sells what the searchers sell, or the amount that takes most
    at the batch's uniform price with the trade (:func:`~accord.games.time_bandit_backrun.
    batch_order`)."""
    searchers: int = Field(2, ge=1, le=8)
    """Backrun: honest searchers racing for it where they see the trade."""
    pool_reserve: int = Field(1_000_000, ge=1_000, le=10**15)
    """Backrun: USD and TOK in each round's fresh pool (reference price 1 USD per TOK)."""
    victim: int = Field(50_000, ge=1, le=10**15)
    """Backrun: the USD the trader's swap sells into the pool."""
    fee_bps: int = Field(30, ge=0, le=1_000)
    """Backrun: the pool's fee."""

    @model_validator(mode="after")
    def _backrun_exists(self) -> TimeBanditParams:
        if self.mev_kind == "backrun" and BR.plan(self).value <= 0:
            raise ValueError(
                f"victim {self.victim} leaves no backrun worth taking in a pool of "
                f"{self.pool_reserve} at fee_bps {self.fee_bps}"
            )
        return self


def _race(
    rng: random.Random, alpha: float, depth: int, give_up: int, cap: int
) -> tuple[bool, int, int]:
    """One race (as :func:`~accord.mechanisms.time_bandit.capped_race` models it):
    (won, public blocks, bandit blocks)."""
    public_blocks = own = 0
    while True:
        if rng.random() < alpha:
            own += 1
        else:
            public_blocks += 1
        if own - public_blocks == depth + 1:
            return True, public_blocks, own
        if public_blocks - own >= give_up or public_blocks > cap:
            return False, public_blocks, own


@register_game
class TimeBanditGame:
    """A time-bandit builder facing MEV and a reorg bounty, under a finality depth."""

    name: ClassVar[str] = "time_bandit"
    Params: ClassVar[type[BaseModel]] = TimeBanditParams
    glossary: ClassVar[Glossary] = GLOSSARY

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        p = TimeBanditParams.model_validate(params.model_dump())
        backrun = p.mev_kind == "backrun"
        if backrun and device.ordering == "random":
            raise ValueError(
                "device.ordering: the backrun's fork value under 'random' depends on each "
                "transaction's hash; use fcfs, priority or batch"
            )
        k = device.finality_depth
        config = device.model_copy(update={"record_inclusions": True, "fork_choice": "longest"})
        dev = Device(config, _genesis(p, config.fee_asset), seed=seed)
        checks.check_every_block(dev)
        alice, bandit = dev.account(SPONSOR), dev.account(BANDIT)
        bounties = dev.deploy(dev.account(MARKET), ReorgBounty)
        prize = "" if backrun else dev.deploy(dev.account(MARKET), Prize)
        pool = ""
        order = BR.plan(p) if backrun else None  # the searchers'
        grab_order = BR.bandit_plan(p) if backrun else None  # the bandit's
        v_fork = BR.fork_value(config, p, seed) if backrun else p.mev
        alpha = p.alpha_bps / 10_000
        share = Fraction(p.alpha_bps, 10_000)
        cap = k - p.depth  # public blocks a race may see before its fork is too deep
        if cap >= 0:
            model = TB.capped_race(share, p.depth, p.give_up, min(cap, TB.MAX_BLOCKS))
            p_win = float(model.win)
            forks = model.win * (v_fork + p.bounty) > p.reward * model.blocks_lost
            v_star = float(p.reward * model.blocks_lost / model.win) if model.win else math.nan
        else:
            v_star, p_win, forks = math.nan, 0.0, False
        honest = BR.searcher_names(p.searchers) if backrun else [SEARCHER]

        def worth(who: str) -> int:
            return BR.worth(dev, who) if backrun else dev.balance(who, USD)

        start = {who: worth(who) for who in (*honest, BANDIT)}
        rng = random.Random(seed)
        attempted = reorgs = depth_sum = forgone = paid = lost = 0
        rows: list[dict[str, Any]] = []
        for r in range(p.rounds):
            if backrun:
                pool = BR.open_pool(dev, p)
            else:
                dev.call(dev.account(MARKET), prize, "arm", value={USD: p.mev})
            b = dev.number + 1
            nonce = dev.nonce(SPONSOR)
            pay = dev.sign(alice, MERCHANT, value={USD: p.payment}, nonce=nonce + 1)
            post = dev.sign(
                alice, bounties, "post", pay.hash, b"", b, BANDIT, USD, p.bounty, nonce=nonce
            )
            if backrun:
                assert order is not None
                hit = BR.trade(dev, pool, p)
                sees = config.mempool == "public"  # the searchers see the trade pending
                takes = [BR.backrun_tx(dev, dev.account(n), pool, order) for n in honest if sees]
                kept = [post, hit]
            else:
                hit = dev.sign(dev.account(SEARCHER), prize, "take")  # the searcher's take
                takes, kept = [], [post]
            for tx in (post, pay, hit, *takes):
                dev.submit(tx)
            block = dev.build_block()
            ok = {tx.hash: x.ok for tx, x in zip(block.transactions, block.receipts, strict=True)}
            assert block.header.number == b and all(ok.get(t.hash) for t in (post, pay, hit)), ok
            bounty_id = r  # one bounty a round; a fork re-posts it under the same id
            assert dev.view(bounties, "bounty", bounty_id)[2] == pay.hash
            for _ in range(p.depth - 1):
                dev.build_block()
            won, public_blocks, own, took = False, 0, 0, 0
            if forks:
                attempted += 1
                won, public_blocks, own = _race(rng, alpha, p.depth, p.give_up, cap)
                for _ in range(public_blocks):
                    dev.build_block()
                if won:
                    fork_depth = p.depth + public_blocks
                    spend = dev.sign(
                        alice,
                        COLD,
                        value={USD: p.payment},
                        nonce=pay.nonce,
                        max_fee=2 * pay.max_fee,
                        priority_fee=pay.priority_fee + 1,
                    )
                    first = [kept[0], spend, *kept[1:]]
                    grab = (
                        BR.backrun_tx(dev, bandit, pool, grab_order)
                        if grab_order is not None
                        else dev.sign(bandit, prize, "take")
                    )
                    before = worth(BANDIT)
                    blocks = BR.fork_blocks(first, grab, p.placement, fork_depth + 1)
                    dev.reorg(fork_depth, blocks, builder=BANDIT)
                    took = worth(BANDIT) - before
                    reorgs += 1
                    depth_sum += fork_depth
                    lost += p.payment
                else:
                    forgone += p.reward * own
            while dev.finalized <= b:
                dev.build_block()
            state = dev.view(bounties, "condition", bounty_id)
            if state == "holds":
                done = dev.call(bandit, bounties, "claim", bounty_id)
                assert done.ok, done.error
                paid += int(done.result)  # type: ignore[call-overload]
            else:
                done = dev.call(alice, bounties, "refund", bounty_id)
                assert done.ok, done.error
            rows.append(
                {
                    "round": r,
                    "raced": int(forks),
                    "won": int(won),
                    "public_blocks": public_blocks,
                    "bandit_blocks": own,
                    "fork_take": took,
                    "condition": state,
                }
            )
        captured = worth(BANDIT) - start[BANDIT] - paid
        honest_mev = sum(worth(who) - start[who] for who in honest)
        assert dev.balance(MERCHANT, USD) == p.payment * p.rounds - lost
        metrics: dict[str, float | int] = {
            "reorg_rate": reorgs / p.rounds,
            "forks_attempted": attempted,
            "mean_reorg_depth": depth_sum / reorgs if reorgs else 0.0,
            "user_losses": lost,
            "bounty_paid": paid,
            "mev_captured": captured,
            "fork_mev": v_fork,
            "honest_mev": honest_mev,
            "rewards_forgone": forgone,
            "bandit_gain": paid + captured - forgone,
            "threshold": v_star,
            "win_probability": p_win,
            "fork_cap": max(cap, -1),
        }
        return GameResult(metrics, dev.state_hash().hex(), dev.number, {"rounds": rows})


def _genesis(p: TimeBanditParams, fee_asset: str) -> Genesis:
    """Every account's fee asset; the sponsor's payments and bounties; the prizes, or
    what the backrun's pools, trader, searchers and bandit hold."""
    usd = {SPONSOR: p.rounds * (p.payment + p.bounty)}
    assets: dict[str, AssetSpec] = {}
    if p.mev_kind == "backrun":
        held = BR.allocations(p)
        usd.update(held[USD])
        users = [SPONSOR, MERCHANT, BANDIT, MARKET, BR.LP, BR.TRADER]
        users += BR.searcher_names(p.searchers)
        assets[BR.TOKEN] = AssetSpec(issuer="treasury", alloc=held[BR.TOKEN])
    else:
        usd[MARKET] = p.rounds * p.mev
        users = [SPONSOR, MERCHANT, SEARCHER, BANDIT, MARKET]
    return Genesis(
        assets={
            fee_asset: AssetSpec(issuer="treasury", alloc=dict.fromkeys(users, 10**18)),
            USD: AssetSpec(issuer="fed", alloc=usd),
            **assets,
        },
        contract_modules=("accord.contracts", "accord.games.time_bandit"),
    )
