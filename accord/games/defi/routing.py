"""The DeFi routing game: users route trades across CFMM pools while searchers hunt MEV.

The cooperative-AI literature on commitment devices names DeFi order routing *the*
congestion game for AI agents (Sun, Crapis, Stephenson & Passerat-Palmbach, "Cooperative
AI via Decentralized Commitment Devices", 2023): every user's trade moves the prices the
next one gets, and searchers who see the mempool turn that into profit. This game asks
how the device's design (ordering rule, mempool visibility, builder policy) decides who
keeps the surplus.

**Setup, from the seed.** ``tokens`` tokens with log-normal reference prices; a hub token
(``T0``) paired with every other token in a constant-product pool, plus ``extra_pools``
pools between random pairs, each weighted (Balancer, weights 80/20, 60/40…) with
probability ``weighted_share``. Each pool's depth is drawn from ``depth_usd`` and its
reserves are set so that its spot price equals the reference prices (for weighted
pools, value shares equal the weights). Users of three kinds (``mix``), searchers
(sandwich, arbitrage, back-run) and a builder (honest or extracting) hold inventories.

**Intents under batch.** With ``cow`` (the default), the game deploys a CoW settlement
contract (:class:`accord.contracts.cow.CowSettlement`) over every pool under the
``batch`` rule, and intent users send it one limit order per need, escrowed in the
batch of its block. ``cow_solvers`` solver agents
(:class:`accord.agents.defi.solver.CowSolver`) solve each batch off the device in the
next block (coincidence of wants, uniform prices, the pools for the imbalance) and
submit their settlements, which the contract verifies exactly and settles at the end of
that block (the best one) or refunds. ``cow_matched_usd`` is the volume buyers got
straight from sellers there, ``cow_dust_usd`` the rounding dust it keeps and
``cow_solvers_usd`` the solvers' P&L (their gas: the contract pays them nothing), both
part of the accounting identity below.

**Each block.** Trade needs arrive as a Poisson process (``arrival_rate`` per block),
each given to an idle user: sell a log-normal dollar amount of one token for another.
The game records the need's **ideal execution**: the exact integer output of the best
route (:func:`accord.mechanisms.routing.route_swap`) executed alone at the block's
starting state. Users act, then searchers act on what they may see, then the builder
builds the block under the run's :class:`~accord.device.DeviceConfig`.

**Metrics** (``docs/defi.md`` has the table). Value is at reference prices ``p``; a
need's value to its user is ``v(flows) = Σ_t p_t·flow_t + θ·p_buy·flow_buy`` (gas aside;
``θ = premium``: the user values what it buys a little above the market, which is why
it trades). Three baselines per need, each in bps of the notional sold:

* ``user_surplus_bps``: ``v(realised) − v(ideal)``, against the need's best route
  executed *alone* at the block's starting state (implementation shortfall against the
  arrival quote). The ideal ignores the other users of the same block, so it can only
  be met by a need that trades first; it also counts the block-start staleness of the
  pools as the user's (a stale pool is a gift to whoever trades it first).
* ``user_surplus_seq_bps``: ``v(realised) − v(sequential)``, against the block's needs
  executed one after another *in arrival order* on the block's starting pools, with no
  searcher in between (fcfs without MEV). A batch that only re-splits the same net flow
  at one price scores about 0 in total here; netting opposite orders scores above 0;
  MEV, refunds and worse routes score below.
* ``user_value_ref_bps``: ``Σ p·realised`` (no premium): what users gave up against the
  reference (external) price, fees, impact and MEV included; ``ideal_value_ref_bps`` is
  the same for the ideal executions, i.e. what the block-start pools offered (above
  ``−fee`` when pools were stale in users' favour); ``arb_gap_usd`` is the mean value of
  the arbitrage left in the pools at the start of a block.

An unfilled need (refunded by a batch, reverted, or an expired intent) realises no
trade, so it scores ``−v(baseline)``: the gains from trade it forwent.

**Welfare** counts everyone: tokens only move between agents, pools and LPs, so at
reference prices the run's total surplus is the users' private gains on what they
bought minus the gas burned, ``W = θ·Σ p_buy·bought − burned``. ``welfare_optimal_usd``
is the same with every need getting its ideal output and no gas burned (the optimal
routing, need by need); ``welfare_gap_usd = W_opt − W`` is the primary figure and the
**price of anarchy** is ``W_opt / W`` (Roughgarden & Tardos, "How bad is selfish
routing?", JACM 2002; here the "selfish" outcome includes the searchers'), reported as
``inf`` if ``W ≤ 0`` (the run destroyed all the gains from trade). **MEV** is each
searcher's and the builder's profit, block by block, at reference prices, gas and tips
included (the builder's tips are its income); ``lp_pnl_usd`` is the pools' value change.
Accounting identity (tested): users' P&L + searchers' + builder's + LPs' + the CoW
settlement's dust + its solvers' + gas burned = 0, so no dollar is counted twice.
Conservation of every asset is checked after every block (``check_conservation``).

The code is split by concern: :mod:`accord.games.defi.params` (the parameters),
:mod:`accord.games.defi.setup` (network, device and agents from the seed),
:mod:`accord.games.defi.state` (the run's record and valuation) and
:mod:`accord.games.defi.metrics` (metrics and tables); this module plays the blocks.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel

from accord.agents.base import Agent, observe, submit
from accord.agents.defi import Curve, Hop, Market, TradeNeed, route_flows, route_hops
from accord.agents.defi.arbitrage import pool_arbitrage
from accord.agents.defi.searchers import ExtractingBuilder
from accord.agents.defi.solver import CowBook
from accord.device import Block, Bundle, DeviceConfig
from accord.games.base import GameResult, register_game
from accord.games.defi.glossary import GLOSSARY
from accord.games.defi.metrics import game_result
from accord.games.defi.params import Params
from accord.games.defi.setup import WEIGHTS, PoolSpec, setup_run
from accord.games.defi.state import NeedState, RunState, account_flows, flows_value_usd, read_market
from accord.games.glossary import Glossary
from accord.mechanisms.routing import Route

__all__ = ["WEIGHTS", "DefiRouting", "Params", "PoolSpec", "play"]


def _sequential(
    market: Market, curves: dict[str, Curve], route: Route | list[Hop], sell: str
) -> dict[str, int]:
    """Execute ``route``'s swaps on ``curves`` (updated in place), exactly, no limits.

    The counterfactual of the block's needs run one after another in arrival order on
    the block's starting pools with no searcher in between: what position-by-arrival
    (fcfs without MEV) would have given each of them.
    """
    flows: dict[str, int] = {}
    for h in route_hops(market, route, sell, 0):
        c = curves[h.pool]
        i, j = c.index(h.asset_in), c.index(h.asset_out)
        out = c.out_given_in(i, j, h.amount_in)
        if out <= 0:
            continue
        curves[h.pool] = c.after(i, j, h.amount_in, out)
        flows[h.asset_in] = flows.get(h.asset_in, 0) - h.amount_in
        flows[h.asset_out] = flows.get(h.asset_out, 0) + out
    return flows


def _new_need(
    run: RunState,
    rng: np.random.Generator,
    need_id: int,
    market: Market,
    curves: dict[str, Curve],
) -> None:
    idle = sorted(set(run.users) - set(run.open))
    if not idle:
        return
    name = idle[int(rng.integers(len(idle)))]
    user = run.users[name]
    k = rng.choice(len(run.tokens), size=2, replace=False)
    sell, buy = run.tokens[int(k[0])], run.tokens[int(k[1])]
    usd = run.params.trade_usd_median * float(np.exp(rng.normal(0.0, run.params.trade_usd_sigma)))
    usd = min(usd, 20 * run.params.trade_usd_median)
    amount = max(1, int(usd / run.prices[sell]))
    tolerance = run.params.intent_slippage_bps if user.kind == "intent" else run.params.slippage_bps
    need = TradeNeed(need_id, sell, buy, amount, tolerance)
    route = market.best_route(sell, amount, buy)
    ideal = route_flows(route)
    seq = _sequential(market, curves, route, sell)
    device = run.device
    record = NeedState(
        need, name, user.kind, device.number + 1, ideal, seq, account_flows(run, name)
    )
    obs = observe(device, name, state={"market": market}, private={"need": need}, mempool=False)
    done = submit(device, name, user.act(obs))
    record.hashes = [s.hash for s in done if s.hash is not None]
    record.rejected = sum(1 for s in done if s.hash is None)
    patience = run.params.intent_patience if user.kind == "intent" else 0
    if user.kind == "intent" and run.settlement:
        patience = max(patience, 1)  # the order settles in the next block
    record.until = device.number + 1 + patience
    run.open[name] = record
    run.needs.append(record)


def _close(run: RunState, need: NeedState) -> None:
    after = account_flows(run, need.user)
    need.realised = {t: after[t] - need.before.get(t, 0) for t in after}


def _after_block(run: RunState, block: Block, before: dict[str, dict[str, int]]) -> dict[str, Any]:
    device = run.device
    failed = gas = fees = tips = 0
    landed = set()
    for r in block.receipts:
        gas += r.gas_used
        fees += r.fee_paid
        tips += r.tip_paid
        if r.status != "success":
            failed += 1
        elif r.tx_hash in run.sandwich_fronts:
            landed.add(r.tx_hash)
    run.failed_txs += failed
    run.gas_used += gas
    run.fees_paid += fees
    run.tips_paid += tips
    run.sandwiches_landed += len(landed)
    mev: dict[str, float] = {}
    for name, old in before.items():
        new = account_flows(run, name)
        delta = {t: new[t] - old.get(t, 0) for t in new}
        mev[name] = flows_value_usd(run, delta)
        run.pnl[name] += mev[name]
    pending = {c.owner for c in device.pending_commitments()} if run.open else set()
    mempool = device.mempool
    for name, need in list(run.open.items()):
        if need.until > device.number:
            continue
        if any(h in mempool for h in need.hashes) or name in pending:
            continue
        _close(run, need)
        del run.open[name]
    return {
        "block": block.number,
        "txs": len(block.transactions),
        "failed": failed,
        "gas_used": gas,
        "base_fee": block.header.base_fee,
        "tips": tips,
        **{f"pnl_{k}": v for k, v in mev.items()},
    }


def _solve(run: RunState, market: Market) -> None:
    """The CoW solvers' turn: batch ``N``'s orders are in storage once block ``N`` is
    sealed, and each solver submits its settlements for the block being built."""
    if not run.solvers:
        return
    device = run.device
    orders = device.view(run.settlement, "batch", device.number)
    stale = tuple(b for b in (device.number - 1,) if device.view(run.settlement, "batch", b))
    cow = CowBook(run.settlement, run.hub, device.number, orders, stale)
    for name, solver in run.solvers.items():
        obs = observe(device, name, state={"market": market, "cow_book": cow}, mempool=False)
        submit(device, name, solver.act(obs))


@register_game
class DefiRouting:
    """Users, searchers and a builder on CFMM pools under one device design."""

    name: ClassVar[str] = "defi_routing"
    Params: ClassVar[type[BaseModel]] = Params
    glossary: ClassVar[Glossary] = GLOSSARY

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        p = params if isinstance(params, Params) else Params.model_validate(params.model_dump())
        return play(p, device, seed)


def play(params: Params, config: DeviceConfig, seed: int) -> GameResult:
    """One run of the game: a pure function of ``(params, config, seed)``."""
    run = setup_run(params, config, seed)
    device = run.device
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xDEF1]))
    builder = None
    if params.builder == "extracting":
        addr = config.builder
        builder = ExtractingBuilder(
            device.account(addr),
            lambda: run.market if run.market is not None else read_market(run),
            lambda: device.nonce(addr),
            lambda asset: device.balance(addr, asset),
            may_insert=config.builder_may_insert,
        )
    watched = [*run.searchers, *run.solvers, config.builder]
    need_id = 0
    order = sorted(run.searchers)
    for _ in range(params.blocks):
        market = run.market = read_market(run)
        run.arb_gap.append(
            sum(
                a.value
                for p in market.pools
                if (a := pool_arbitrage(p.address, p.curve, market)) is not None
            )
        )
        curves = {p.address: p.curve for p in market.pools}
        for _ in range(int(rng.poisson(params.arrival_rate))):
            _new_need(run, rng, need_id, market, curves)
            need_id += 1
        before = {name: account_flows(run, name) for name in watched}
        _solve(run, market)
        for k in rng.permutation(len(order)):
            name = order[int(k)]
            agent: Agent = run.searchers[name]
            obs = observe(device, name, assets=run.tokens, state={"market": market})
            actions = agent.act(obs)
            for s in submit(device, name, actions):
                if isinstance(s.action, Bundle) and s.hash is not None:
                    run.sandwich_fronts[s.action.txs[0].hash] = name
                    run.sandwich_attempts += 1
                elif name.startswith("sandwich") and s.hash is not None and s.action is actions[0]:
                    run.sandwich_fronts[s.hash] = name
                    run.sandwich_attempts += 1
        built_before = len(builder.inserted) if builder is not None else 0
        block = device.build_block(builder)
        if builder is not None:
            for bundle in builder.inserted[built_before:]:
                run.sandwich_fronts[bundle.txs[0].hash] = config.builder
                run.sandwich_attempts += 1
        run.per_block.append(_after_block(run, block, before))
    if run.solvers and device.view(run.settlement, "batch", device.number):
        # the last block's orders settle in one more block (its row is not a played block)
        market = run.market = read_market(run)
        before = {name: account_flows(run, name) for name in watched}
        _solve(run, market)
        _after_block(run, device.build_block(builder), before)
    for need in run.open.values():  # still pending at the end: what happened so far
        _close(run, need)
    run.open.clear()
    return game_result(run)
