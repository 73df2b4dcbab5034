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
``batch`` rule, and intent users send it one limit order per need; it settles all of a
block's intents together (coincidence of wants, uniform prices, the pools for the
imbalance). ``cow_matched_usd`` is the volume buyers got straight from sellers there,
``cow_dust_usd`` the rounding dust it keeps (part of the accounting identity below).

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
settlement's dust + gas burned = 0, so no dollar is counted twice. Conservation of every
asset is checked after every block (``check_conservation``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.agents.base import Agent, observe, submit
from accord.agents.defi import (
    USER_KINDS,
    Curve,
    Hop,
    IntentUser,
    Market,
    PoolInfo,
    TradeNeed,
    User,
    route_flows,
    route_hops,
)
from accord.agents.defi_searchers import (
    Arbitrageur,
    ExtractingBuilder,
    Sandwicher,
    Searcher,
    pool_arbitrage,
)
from accord.contracts.amm import ProductAMM, WeightedAMM, pool_state
from accord.contracts.cow import POOL_GAS, CowSettlement
from accord.device import AssetSpec, Block, Bundle, Device, DeviceConfig, Genesis, checks
from accord.games.base import GameResult, register_game
from accord.mechanisms.routing import Route

WEIGHTS = ((80, 20), (20, 80), (60, 40), (40, 60), (50, 50))


class Params(BaseModel):
    """The DeFi routing game's parameters (every field has a default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    blocks: int = Field(50, ge=1, description="blocks played after the pools are set up")
    tokens: int = Field(5, ge=2, le=64, description="tokens, T0 (the hub) … T{n-1}")
    extra_pools: int = Field(3, ge=0, description="pools beyond the hub's star")
    weighted_share: float = Field(0.3, ge=0, le=1, description="share of extra pools weighted")
    fee_bps: int = Field(30, ge=0, lt=10_000)
    depth_usd: tuple[float, float] = Field((2e6, 2e7), description="pool depth range, USD")
    decimals: int = Field(9, ge=0, le=30, description="base units per token: 10**decimals")
    users: int = Field(60, ge=1)
    mix: dict[str, float] = Field(
        default_factory=lambda: {"naive": 0.4, "routed": 0.3, "intent": 0.3},
        description="share of each user kind",
    )
    arrival_rate: float = Field(1.0, ge=0, description="Poisson mean of trade needs per block")
    trade_usd_median: float = Field(20_000.0, gt=0)
    trade_usd_sigma: float = Field(0.8, ge=0, description="log-normal sigma of trade sizes")
    slippage_bps: int = Field(100, ge=0, lt=10_000, description="naive and routed tolerance")
    intent_slippage_bps: int = Field(20, ge=0, lt=10_000, description="intents' limit")
    intent_patience: int = Field(2, ge=0, description="blocks an intent commitment may wait")
    cow: bool = Field(True, description="under batch, intents settle in a CoW settlement")
    cow_max_candidates: int = Field(
        64, ge=1, description="price vectors the CoW settlement's solver tries per batch"
    )
    user_priority_fee: int = Field(1, ge=0, description="users' tip per gas")
    premium: float = Field(0.02, ge=0, description="θ: users' private value over market")
    sandwichers: int = Field(2, ge=0)
    arbitrageurs: int = Field(1, ge=0)
    backrunners: int = Field(1, ge=0)
    bid_share: float = Field(0.5, ge=0, le=1, description="share of MEV searchers bid as tips")
    searcher_bundles: bool = Field(True, description="sandwich with bundles (else tips)")
    rule_blind: bool = Field(False, description="sandwichers attack even under batch")
    batch_aware_arbitrage: bool = Field(
        True, description="under batch, arbitrageurs reduce demand to the Cournot share"
    )
    builder: Literal["honest", "extracting"] = "honest"
    fee_price_usd: float = Field(1e-8, gt=0, description="USD per base unit of the fee asset")
    inventory_usd: float = Field(1e7, gt=0, description="each agent's holding per token")
    check_conservation: bool = True

    @model_validator(mode="after")
    def _check(self) -> Params:
        lo, hi = self.depth_usd
        if not 0 < lo <= hi:
            raise ValueError(f"depth_usd must be 0 < low <= high, got {self.depth_usd}")
        unknown = sorted(set(self.mix) - set(USER_KINDS))
        if unknown:
            raise ValueError(
                f"mix names unknown user kinds {unknown} (known: {sorted(USER_KINDS)})"
            )
        if not self.mix or sum(self.mix.values()) <= 0 or min(self.mix.values()) < 0:
            raise ValueError("mix needs a positive share for at least one user kind")
        return self


@dataclass
class _Need:
    need: TradeNeed
    user: str
    kind: str
    block: int
    ideal: dict[str, int]
    seq: dict[str, int]
    before: dict[str, int]
    hashes: list[bytes] = field(default_factory=list)
    until: int = 0
    rejected: int = 0
    realised: dict[str, int] | None = None


@dataclass
class _Run:
    """Mutable bookkeeping of one run (everything the metrics are made from)."""

    params: Params
    device: Device
    tokens: tuple[str, ...]
    prices: dict[str, float]
    pools: list[tuple[str, type[ProductAMM] | type[WeightedAMM]]]
    hub: str
    users: dict[str, User]
    searchers: dict[str, Searcher]
    fee_price: float
    settlement: str = ""
    market: Market | None = None
    needs: list[_Need] = field(default_factory=list)
    open: dict[str, _Need] = field(default_factory=dict)
    pnl: dict[str, float] = field(default_factory=dict)
    per_block: list[dict[str, Any]] = field(default_factory=list)
    failed_txs: int = 0
    gas_used: int = 0
    fees_paid: int = 0
    tips_paid: int = 0
    sandwich_fronts: dict[bytes, str] = field(default_factory=dict)
    sandwiches_landed: int = 0
    sandwich_attempts: int = 0
    arb_gap: list[float] = field(default_factory=list)
    pools_value_start: float = 0.0


PoolSpec = tuple[str, str, tuple[int, int] | None, float]


def _network(
    params: Params, rng: np.random.Generator
) -> tuple[list[str], dict[str, float], list[PoolSpec]]:
    """Tokens, reference prices per base unit, and pools ``(a, b, weights|None, depth)``."""
    tokens = [f"T{k}" for k in range(params.tokens)]
    usd = np.exp(rng.normal(0.0, 1.5, size=params.tokens))
    usd[0] = 1.0
    scale = 10.0**params.decimals
    prices = {t: float(u) / scale for t, u in zip(tokens, usd, strict=True)}
    lo, hi = params.depth_usd
    specs: list[PoolSpec] = []
    for t in tokens[1:]:
        specs.append(("T0", t, None, float(rng.uniform(lo, hi))))
    for _ in range(params.extra_pools):
        a, b = (tokens[int(k)] for k in rng.choice(params.tokens, size=2, replace=False))
        weighted = bool(rng.random() < params.weighted_share)
        w = WEIGHTS[int(rng.integers(len(WEIGHTS)))] if weighted else None
        specs.append((a, b, w, float(rng.uniform(lo, hi))))
    return tokens, prices, specs


def _setup(params: Params, config: DeviceConfig, seed: int) -> _Run:
    root = np.random.SeedSequence(seed)
    net_seq, agents_seq = root.spawn(2)
    rng = np.random.default_rng(net_seq)
    tokens, prices, specs = _network(params, rng)
    kinds = sorted(params.mix)
    shares = np.array([params.mix[k] for k in kinds], dtype=float)
    counts = np.floor(shares / shares.sum() * params.users).astype(int)
    counts[int(np.argmax(shares))] += params.users - int(counts.sum())
    user_kinds = [k for k, c in zip(kinds, counts, strict=True) for _ in range(int(c))]
    user_names = [f"user{u:04d}" for u in range(params.users)]
    searcher_specs = (
        [("sandwich", f"sandwich{k}") for k in range(params.sandwichers)]
        + [("arbitrage", f"arb{k}") for k in range(params.arbitrageurs)]
        + [("backrun", f"backrun{k}") for k in range(params.backrunners)]
    )
    holders = [*user_names, *(n for _, n in searcher_specs), config.builder]
    lp_alloc = {t: 0 for t in tokens}
    pool_amounts: list[tuple[int, int]] = []
    for a, b, w, depth in specs:
        wa, wb = w if w is not None else (1, 1)
        amt_a = int(depth * wa / (wa + wb) / prices[a])
        amt_b = int(depth * wb / (wa + wb) / prices[b])
        pool_amounts.append((amt_a, amt_b))
        lp_alloc[a] += amt_a
        lp_alloc[b] += amt_b

    def holding(t: str) -> int:
        return int(params.inventory_usd / prices[t])

    assets = {
        t: AssetSpec(
            issuer="mint",
            alloc={
                "lp": lp_alloc[t],
                **dict.fromkeys(holders, int(params.inventory_usd / prices[t])),
            },
        )
        for t in tokens
    }
    fee = config.fee_asset
    assets[fee] = AssetSpec(issuer="treasury", alloc=dict.fromkeys(["lp", *holders], 10**24))
    device = Device(config, Genesis(assets=assets), seed=seed, history=4)
    if params.check_conservation:
        checks.check_every_block(device)
    lp = device.account("lp")
    pools: list[tuple[str, type[ProductAMM] | type[WeightedAMM]]] = []
    for (a, b, w, _), (amt_a, amt_b) in zip(specs, pool_amounts, strict=True):
        if w is None:
            address = device.deploy(lp, ProductAMM, a, b, params.fee_bps)
            pools.append((address, ProductAMM))
        else:
            address = device.deploy(lp, WeightedAMM, (a, b), w, params.fee_bps)
            pools.append((address, WeightedAMM))
        device.call(lp, address, "add_liquidity", 0, "lp", value={a: amt_a, b: amt_b})
    settlement = ""
    if params.cow and config.ordering == "batch":
        described = tuple(
            (address, "product" if kind is ProductAMM else "weighted", params.fee_bps, w or ())
            for (address, kind), (_, _, w, _) in zip(pools, specs, strict=True)
        )
        settlement = device.deploy(
            lp,
            CowSettlement,
            described,
            "T0",
            params.cow_max_candidates,
            gas_limit=1_000_000 + POOL_GAS * len(pools),
        )
    seqs = agents_seq.spawn(len(user_names) + len(searcher_specs) + 1)
    users: dict[str, User] = {}
    for name, kind, s in zip(user_names, user_kinds, seqs, strict=False):
        cls = USER_KINDS[kind]
        account = device.account(name)
        r = np.random.default_rng(s)
        if cls is IntentUser:
            users[name] = IntentUser(
                account,
                r,
                priority_fee=params.user_priority_fee,
                patience=params.intent_patience,
                fallback_bps=params.slippage_bps,
            )
        else:
            users[name] = cls(account, r, priority_fee=params.user_priority_fee)
    searchers: dict[str, Searcher] = {}
    for (role, name), s in zip(searcher_specs, seqs[len(user_names) :], strict=False):
        account, r = device.account(name), np.random.default_rng(s)
        if role == "sandwich":
            searchers[name] = Sandwicher(
                account,
                r,
                bid_share=params.bid_share,
                bundles=params.searcher_bundles,
                rule_blind=params.rule_blind,
            )
        else:
            arbs = params.arbitrageurs + params.backrunners
            searchers[name] = Arbitrageur(
                account,
                r,
                backrun=role == "backrun",
                bid_share=params.bid_share,
                competitors=arbs if params.batch_aware_arbitrage else 1,
            )
    run = _Run(
        params,
        device,
        tuple(tokens),
        prices,
        pools,
        "T0",
        users,
        searchers,
        params.fee_price_usd,
        settlement,
    )
    run.pnl = dict.fromkeys([*searchers, config.builder], 0.0)
    run.pools_value_start = _pools_value(run)
    return run


def _pools_value(run: _Run) -> float:
    """The pools' reserves at reference prices (the LPs' claim; MINIMUM_LIQUIDITY aside)."""
    return sum(_value(run, _flows(run, address)) for address, _ in run.pools)


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


def _read_market(run: _Run) -> Market:
    contracts = run.device.contracts
    infos = tuple(
        PoolInfo(address, pool_state(contracts[address].storage(), kind))  # type: ignore[arg-type]
        for address, kind in run.pools
    )
    return Market(infos, run.prices, run.fee_price, run.hub, run.settlement)


def _flows(run: _Run, account: str) -> dict[str, int]:
    device = run.device
    return {t: device.balance(account, t) for t in (*run.tokens, run.device.config.fee_asset)}


def _value(run: _Run, flows: Mapping[str, int]) -> float:
    fee = run.device.config.fee_asset
    return sum(
        (run.fee_price if t == fee else run.prices.get(t, 0.0)) * a for t, a in flows.items()
    )


def _new_need(
    run: _Run,
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
    record = _Need(need, name, user.kind, device.number + 1, ideal, seq, _flows(run, name))
    obs = observe(device, name, state={"market": market}, private={"need": need}, mempool=False)
    done = submit(device, name, user.act(obs))
    record.hashes = [s.hash for s in done if s.hash is not None]
    record.rejected = sum(1 for s in done if s.hash is None)
    patience = run.params.intent_patience if user.kind == "intent" else 0
    record.until = device.number + 1 + patience
    run.open[name] = record
    run.needs.append(record)


def _close(run: _Run, need: _Need) -> None:
    after = _flows(run, need.user)
    need.realised = {t: after[t] - need.before.get(t, 0) for t in after}


def _after_block(run: _Run, block: Block, before: dict[str, dict[str, int]]) -> dict[str, Any]:
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
        new = _flows(run, name)
        delta = {t: new[t] - old.get(t, 0) for t in new}
        mev[name] = _value(run, delta)
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


@register_game
class DefiRouting:
    """Users, searchers and a builder on CFMM pools under one device design."""

    name: ClassVar[str] = "defi_routing"
    Params: ClassVar[type[BaseModel]] = Params

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        p = params if isinstance(params, Params) else Params.model_validate(params.model_dump())
        return play(p, device, seed)


def play(params: Params, config: DeviceConfig, seed: int) -> GameResult:
    """One run of the game: a pure function of ``(params, config, seed)``."""
    run = _setup(params, config, seed)
    device = run.device
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xDEF1]))
    builder = None
    if params.builder == "extracting":
        addr = config.builder
        builder = ExtractingBuilder(
            device.account(addr),
            lambda: run.market if run.market is not None else _read_market(run),
            lambda: device.nonce(addr),
            lambda asset: device.balance(addr, asset),
            may_insert=config.builder_may_insert,
        )
    watched = [*run.searchers, config.builder]
    need_id = 0
    order = sorted(run.searchers)
    for _ in range(params.blocks):
        market = run.market = _read_market(run)
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
        before = {name: _flows(run, name) for name in watched}
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
    for need in run.open.values():  # still pending at the end: what happened so far
        _close(run, need)
    run.open.clear()
    return _result(run)


def _cow_matched(run: _Run) -> float:
    """Reference value of what buyers got straight from sellers in the CoW settlement."""
    if not run.settlement:
        return 0.0
    matched: dict[str, int] = run.device.contract_at(run.settlement).storage()["matched_volume"]
    return float(sum(run.prices[t] * a for t, a in matched.items()))


def _need_value(run: _Run, need: _Need, flows: Mapping[str, int]) -> float:
    fee = run.device.config.fee_asset
    tokens = {t: a for t, a in flows.items() if t != fee}
    return _value(run, tokens) + run.params.premium * run.prices[need.need.buy] * tokens.get(
        need.need.buy, 0
    )


def _result(run: _Run) -> GameResult:
    p = run.params
    fee_asset = run.device.config.fee_asset
    rows: list[dict[str, Any]] = []
    # per kind: surplus vs ideal, surplus vs sequential, notional, needs, filled
    kinds: dict[str, list[float]] = {k: [0.0, 0.0, 0.0, 0.0, 0.0] for k in USER_KINDS}
    users_value = users_ideal = users_ref = ideal_ref = users_pnl = 0.0
    gains_real = gains_opt = 0.0
    filled = 0
    for need in run.needs:
        n = need.need
        realised = need.realised or {}
        v_real = _need_value(run, need, realised)
        v_ideal = _need_value(run, need, need.ideal)
        v_seq = _need_value(run, need, need.seq)
        tokens = {t: a for t, a in realised.items() if t != fee_asset}
        notional = n.amount * run.prices[n.sell]
        got = realised.get(n.buy, 0)
        filled += got > 0
        users_value += v_real
        users_ideal += v_ideal
        users_ref += _value(run, tokens)
        ideal_ref += _value(run, need.ideal)
        users_pnl += _value(run, realised)
        gains_real += p.premium * run.prices[n.buy] * max(got, 0)
        gains_opt += p.premium * run.prices[n.buy] * max(need.ideal.get(n.buy, 0), 0)
        k = kinds[need.kind]
        k[0] += v_real - v_ideal
        k[1] += v_real - v_seq
        k[2] += notional
        k[3] += 1
        k[4] += got > 0
        rows.append(
            {
                "need": n.need_id,
                "user": need.user,
                "kind": need.kind,
                "block": need.block,
                "sell": n.sell,
                "buy": n.buy,
                "amount": n.amount,
                "ideal_out": need.ideal.get(n.buy, 0),
                "sequential_out": need.seq.get(n.buy, 0),
                "realised_out": got,
                "surplus_usd": v_real - v_ideal,
                "surplus_seq_usd": v_real - v_seq,
                "value_ref_usd": _value(run, tokens),
                "notional_usd": notional,
            }
        )
    builder = run.device.config.builder
    by_kind: dict[str, float] = {}
    for name, s in run.searchers.items():
        by_kind[s.kind] = by_kind.get(s.kind, 0.0) + run.pnl[name]
    notional_total = sum(k[2] for k in kinds.values())

    def bps(x: float, notional: float = notional_total) -> float:
        return 1e4 * x / notional if notional else 0.0

    surplus_ideal = sum(k[0] for k in kinds.values())
    surplus_seq = sum(k[1] for k in kinds.values())
    burned = (run.fees_paid - run.tips_paid) * run.fee_price
    welfare = gains_real - burned
    metrics: dict[str, float | int] = {
        "needs": len(run.needs),
        "filled": filled,
        "unfilled": len(run.needs) - filled,
        "user_surplus_bps": bps(surplus_ideal),
        "user_surplus_seq_bps": bps(surplus_seq),
        "user_value_ref_bps": bps(users_ref),
        "ideal_value_ref_bps": bps(ideal_ref),
        "user_surplus_usd": surplus_ideal,
        "user_surplus_seq_usd": surplus_seq,
        "users_value_usd": users_value,
        "users_value_ideal_usd": users_ideal,
        "users_pnl_usd": users_pnl,
        "welfare_realised_usd": welfare,
        "welfare_optimal_usd": gains_opt,
        "welfare_gap_usd": gains_opt - welfare,
        "price_of_anarchy": gains_opt / welfare if welfare > 0 else math.inf,
        "mev_searchers_usd": sum(by_kind.values()),
        "mev_sandwich_usd": by_kind.get("sandwich", 0.0),
        "mev_arbitrage_usd": by_kind.get("arbitrage", 0.0),
        "mev_backrun_usd": by_kind.get("backrun", 0.0),
        "mev_builder_usd": run.pnl[builder],
        "lp_pnl_usd": _pools_value(run) - run.pools_value_start,
        "cow_matched_usd": _cow_matched(run),
        "cow_dust_usd": _value(run, _flows(run, run.settlement)) if run.settlement else 0.0,
        "arb_gap_usd": float(np.mean(run.arb_gap)) if run.arb_gap else 0.0,
        "builder_tips_usd": run.tips_paid * run.fee_price,
        "fees_burned_usd": burned,
        "fees_paid_usd": run.fees_paid * run.fee_price,
        "sandwich_attempts": run.sandwich_attempts,
        "sandwiches_landed": run.sandwiches_landed,
        "failed_txs": run.failed_txs,
        "gas_used": run.gas_used,
    }
    for kind, (s_ideal, s_seq, notional, count, got_any) in kinds.items():
        metrics[f"needs_{kind}"] = int(count)
        metrics[f"unfilled_{kind}"] = int(count - got_any)
        metrics[f"surplus_bps_{kind}"] = bps(s_ideal, notional)
        metrics[f"surplus_seq_bps_{kind}"] = bps(s_seq, notional)
    agents = [
        {"agent": name, "kind": s.kind, "pnl_usd": run.pnl[name]}
        for name, s in sorted(run.searchers.items())
    ]
    agents.append({"agent": builder, "kind": f"builder:{p.builder}", "pnl_usd": run.pnl[builder]})
    return GameResult(
        metrics=metrics,
        state_hash=run.device.state_hash().hex(),
        blocks=run.device.number,
        tables={"needs": rows, "agents": agents, "blocks": run.per_block},
    )
