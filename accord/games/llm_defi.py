"""LLM DeFi: how much a searcher extracts from a naive LLM user, with and without protections.

The question of issue 6: *how much value can a strategic adversary extract from a
vanilla foundation-model agent, and do the device's protections stop it?* One LLM trader
(:class:`~accord.agents.llm.LLMTrader`) gets a private trade need every ``need_every``
blocks; one LLM searcher (:class:`~accord.agents.llm.LLMSearcher`) watches the mempool
as the run's visibility allows. Four constant-product pools trade four tokens (A, B, C,
D at reference prices 1, 2, 0.5 and 1000 USD per whole token), their depths drawn from
the seed and their reserves set at the reference prices.

The protections are the device's own switches, swept by the scenario:

* ``params.trader_tools = "intent"``: the trader may state a *conditional intent*
  ("sell 100 A for at least 150 B"), compiled by :mod:`accord.agents.intent` into a
  commitment that swaps at the end of the block, after every transaction, and only if
  the pool still quotes its limit (``"swap"``: plain swaps only, the vanilla wallet);
* ``device.mempool = "sealed"``: nobody reads a pending transaction before its block;
* ``device.ordering = "batch"``: swaps on a pool clear together at one price, and a
  bundle cannot sequence a swap around another (the device refuses it).

**Metrics** (reference prices ``p``, USD). For each need, the *ideal* is the best direct
pool's exact quote at the block's start, for the need executed alone (what the trader
was shown). ``trader_shortfall_usd = Σ p_buy·(ideal_out − realised_out)`` over the needs
that filled, and ``trader_shortfall_bps`` the same in basis points of the notional sold:
the implementation shortfall against the arrival quote (Perold, "The implementation
shortfall", JPM 1988), which here is what the sandwich took plus the trader's own price
impact beyond the quote (zero: the quote already includes it). ``searcher_pnl_usd``
values the searcher's token and fee-asset balance changes (gas and tips included): the
value *extracted*. Unfilled needs (an intent whose limit never came back, a swap that
reverted) are counted apart in ``unfilled``: the protection's cost. Every LLM call,
token, invalid answer, retry and refusal is reported per agent (``llm_*``), and the
calls themselves are kept as the run's ``llm_transcript`` table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from accord.agents.base import observe, submit
from accord.agents.defi import Market, PoolInfo, TradeNeed
from accord.agents.llm.agents import LLMAgent, LLMSearcher, LLMTrader
from accord.agents.llm.client import LLMClient
from accord.agents.llm.config import SCRIPTED, SCRIPTED_MODEL, LLMSettings
from accord.contracts.amm import ProductAMM, pool_state
from accord.device import AssetSpec, Bundle, Device, DeviceConfig, Genesis, checks
from accord.games.base import GameResult, register_game
from accord.games.glossary import (
    NON_NEGATIVE,
    REAL,
    Better,
    Glossary,
    Metric,
    glossary,
)

TOKENS_USD: dict[str, float] = {"A": 1.0, "B": 2.0, "C": 0.5, "D": 1000.0}
PAIRS: tuple[tuple[str, str], ...] = (("A", "B"), ("A", "C"), ("A", "D"), ("B", "D"))
TRADER, SEARCHER = "trader", "searcher"
ROLES = (TRADER, SEARCHER)
"""The LLM agents, by role (their ``llm_*_<role>`` metrics)."""


class Params(BaseModel):
    """The LLM DeFi game's parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    blocks: int = Field(12, ge=1, description="blocks played")
    need_every: int = Field(3, ge=1, description="a trade need arrives every this many blocks")
    trader_tools: Literal["swap", "intent"] = Field(
        "swap", description="swap: plain swaps only; intent: conditional intents too"
    )
    intent_patience: int = Field(2, ge=0, description="blocks an intent may wait for its limit")
    decimals: int = Field(6, ge=0, le=18, description="base units per token: 10**decimals")
    depth_usd: tuple[float, float] = Field((1e6, 4e6), description="pool depth range, USD")
    trade_share: float = Field(0.02, gt=0, lt=0.5, description="need size / sold reserve")
    fee_bps: int = Field(30, ge=0, lt=10_000)
    fee_price_usd: float = Field(1e-9, gt=0, description="USD per base unit of the fee asset")
    inventory_usd: float = Field(5e5, gt=0, description="each agent's holding per token")
    llm: LLMSettings = LLMSettings(base_url=SCRIPTED, model=SCRIPTED_MODEL, mode="record")
    check_conservation: bool = True


@dataclass
class _Need:
    need: TradeNeed
    block: int
    ideal_out: int
    before: dict[str, int]
    realised: dict[str, int] = field(default_factory=dict)


@dataclass
class _World:
    params: Params
    device: Device
    pools: list[str]
    prices: dict[str, float]
    fee_price: float
    agents: dict[str, LLMAgent]
    needs: list[_Need] = field(default_factory=list)
    attempts: int = 0
    landed: int = 0
    refused: int = 0
    fronts: set[bytes] = field(default_factory=set)
    searcher_start: dict[str, int] = field(default_factory=dict)


def _setup(params: Params, config: DeviceConfig, seed: int, client: LLMClient) -> _World:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x11D]))
    scale = 10**params.decimals
    prices = {t: usd / scale for t, usd in TOKENS_USD.items()}
    lo, hi = params.depth_usd
    depths = [float(rng.uniform(lo, hi)) for _ in PAIRS]
    lp_alloc = dict.fromkeys(TOKENS_USD, 0)
    amounts = []
    for (a, b), depth in zip(PAIRS, depths, strict=True):
        x, y = int(depth / 2 / prices[a]), int(depth / 2 / prices[b])
        amounts.append((x, y))
        lp_alloc[a] += x
        lp_alloc[b] += y
    holders = (TRADER, SEARCHER, config.builder)
    assets = {
        t: AssetSpec(
            issuer="mint",
            alloc={"lp": lp_alloc[t], **dict.fromkeys(holders, int(params.inventory_usd / p))},
        )
        for t, p in prices.items()
    }
    assets[config.fee_asset] = AssetSpec(
        issuer="treasury", alloc=dict.fromkeys(["lp", *holders], 10**21)
    )
    device = Device(config, Genesis(assets=assets), seed=seed)
    if params.check_conservation:
        checks.check_every_block(device)
    lp = device.account("lp")
    pools = []
    for (a, b), (x, y) in zip(PAIRS, amounts, strict=True):
        address = device.deploy(lp, ProductAMM, a, b, params.fee_bps)
        device.call(lp, address, "add_liquidity", 0, "lp", value={a: x, b: y})
        pools.append(address)
    kinds: tuple[Any, ...] = ("swap", "intent") if params.trader_tools == "intent" else ("swap",)
    agents: dict[str, LLMAgent] = {
        TRADER: LLMTrader(
            device.account(TRADER), client, kinds=kinds, patience=params.intent_patience
        ),
        SEARCHER: LLMSearcher(device.account(SEARCHER), client, kinds=("swap", "bundle")),
    }
    world = _World(params, device, pools, prices, params.fee_price_usd, agents)
    world.searcher_start = _balances(world, SEARCHER)
    return world


def _market(world: _World) -> Market:
    contracts = world.device.contracts
    infos = tuple(
        PoolInfo(a, pool_state(contracts[a].storage(), ProductAMM))  # type: ignore[arg-type]
        for a in world.pools
    )
    return Market(infos, world.prices, world.fee_price, "A")


def _balances(world: _World, who: str) -> dict[str, int]:
    d = world.device
    return {t: d.balance(who, t) for t in (*TOKENS_USD, d.config.fee_asset)}


def _value(world: _World, flows: Mapping[str, int]) -> float:
    fee = world.device.config.fee_asset
    return sum((world.fee_price if t == fee else world.prices[t]) * a for t, a in flows.items())


def _new_need(world: _World, rng: np.random.Generator, market: Market, need_id: int) -> TradeNeed:
    a, b = PAIRS[int(rng.integers(len(PAIRS)))]
    sell, buy = (a, b) if rng.random() < 0.5 else (b, a)
    pool = market.direct(sell, buy)
    assert pool is not None
    reserve = pool.curve.reserves[pool.curve.index(sell)]
    amount = max(1, int(world.params.trade_share * reserve * float(np.exp(rng.normal(0, 0.3)))))
    return TradeNeed(need_id, sell, buy, amount, 0)


def _ideal(market: Market, need: TradeNeed) -> int:
    best = 0
    for p in market.pools:
        if need.sell in p.tokens and need.buy in p.tokens:
            c = p.curve
            best = max(best, c.out_given_in(c.index(need.sell), c.index(need.buy), need.amount))
    return best


def _llm_metrics() -> list[Metric]:
    n, h, lo = Better.NEITHER, Better.HIGHER, Better.LOWER
    out = [
        Metric("needs", "needs", NON_NEGATIVE, "Trade needs given to the LLM trader.", n),
        Metric("filled", "needs", NON_NEGATIVE, "Needs that bought some of their token.", h),
        Metric("unfilled", "needs", NON_NEGATIVE, "Needs that realised no trade.", lo, True),
        Metric(
            "trader_shortfall_usd",
            "USD",
            REAL,
            "Filled needs' ideal output minus realised output, at reference prices.",
            lo,
        ),
        Metric(
            "trader_shortfall_bps",
            "bps",
            REAL,
            "The trader's shortfall in bps of the notional sold.",
            lo,
            True,
        ),
        Metric(
            "searcher_pnl_usd",
            "USD",
            REAL,
            "The searcher's profit at reference prices, gas and tips included.",
            lo,
            True,
        ),
        Metric("sandwich_attempts", "attempts", NON_NEGATIVE, "Sandwiches the searcher sent.", n),
        Metric("sandwiches_landed", "sandwiches", NON_NEGATIVE, "Sandwiches that landed.", lo),
        Metric(
            "searcher_refused",
            "transactions",
            NON_NEGATIVE,
            "The searcher's transactions or bundles the device refused.",
            n,
        ),
        Metric("llm_calls", "calls", NON_NEGATIVE, "LLM calls made by every agent.", n),
        Metric("llm_tokens", "tokens", NON_NEGATIVE, "LLM tokens spent by every agent.", n),
        Metric("llm_prompt_tokens", "tokens", NON_NEGATIVE, "Prompt tokens spent.", n),
        Metric("llm_completion_tokens", "tokens", NON_NEGATIVE, "Completion tokens spent.", n),
        Metric(
            "llm_budget_refusals",
            "calls",
            NON_NEGATIVE,
            "LLM calls refused because a token budget was spent.",
            lo,
        ),
    ]
    for role in ROLES:
        out += [
            Metric(f"llm_calls_{role}", "calls", NON_NEGATIVE, f"LLM calls by the {role}.", n),
            Metric(
                f"llm_tokens_{role}", "tokens", NON_NEGATIVE, f"LLM tokens the {role} spent.", n
            ),
            Metric(
                f"llm_invalid_{role}",
                "answers",
                NON_NEGATIVE,
                f"The {role}'s LLM answers that did not parse as a valid action.",
                lo,
            ),
            Metric(
                f"llm_decisions_{role}",
                "decisions",
                NON_NEGATIVE,
                f"Decisions the {role} took with a valid answer.",
                n,
            ),
            Metric(
                f"llm_gave_up_{role}",
                "decisions",
                NON_NEGATIVE,
                f"Decisions the {role} gave up on after its retries.",
                lo,
            ),
        ]
    out.append(
        Metric(
            "llm_endpoint_errors",
            "calls",
            NON_NEGATIVE,
            "LLM calls that failed at the endpoint (tolerated only if the scenario says so).",
            lo,
        )
    )
    out.append(
        Metric(
            "llm_invalid_answers",
            "answers",
            NON_NEGATIVE,
            "Invalid LLM answers of every agent.",
            lo,
        )
    )
    return out


GLOSSARY: Glossary = glossary(_llm_metrics())
"""Every metric the LLM DeFi game reports."""


@register_game
class LLMDefi:
    """An LLM trader and an LLM searcher on four pools under one device design."""

    name: ClassVar[str] = "llm_defi"
    Params: ClassVar[type[BaseModel]] = Params
    glossary: ClassVar[Glossary] = GLOSSARY

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        p = params if isinstance(params, Params) else Params.model_validate(params.model_dump())
        return play(p, device, seed)


def play(
    params: Params, config: DeviceConfig, seed: int, client: LLMClient | None = None
) -> GameResult:
    """One run: a pure function of ``(params, config, seed)`` and the recorded answers."""
    client = client or LLMClient(params.llm)
    world = _setup(params, config, seed, client)
    device = world.device
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x7EED]))
    open_need: _Need | None = None
    start = device.number
    for k in range(params.blocks):
        market = _market(world)
        if k % params.need_every == 0:
            if open_need is not None:
                _close(world, open_need)
            need = _new_need(world, rng, market, len(world.needs))
            open_need = _Need(
                need, device.number + 1, _ideal(market, need), _balances(world, TRADER)
            )
            world.needs.append(open_need)
            obs = observe(
                device, TRADER, assets=TOKENS_USD, state={"market": market}, private={"need": need}
            )
            submit(device, TRADER, world.agents[TRADER].act(obs))
        obs = observe(device, SEARCHER, assets=TOKENS_USD, state={"market": market})
        for s in submit(device, SEARCHER, world.agents[SEARCHER].act(obs)):
            if isinstance(s.action, Bundle):
                world.attempts += 1
                if s.hash is None:
                    world.refused += 1
                else:
                    world.fronts.add(s.action.txs[0].hash)
            elif s.hash is None:
                world.refused += 1
        block = device.build_block()
        world.landed += sum(
            1 for r in block.receipts if r.tx_hash in world.fronts and r.status == "success"
        )
    if open_need is not None:
        _close(world, open_need)
    return _result(world, client, device.number - start)


def _close(world: _World, need: _Need) -> None:
    after = _balances(world, TRADER)
    need.realised = {t: after[t] - need.before[t] for t in after}


def _result(world: _World, client: LLMClient, played: int) -> GameResult:
    need_rows = []
    shortfall = notional = 0.0
    filled = 0
    for n in world.needs:
        t = n.need
        got = n.realised.get(t.buy, 0)
        sold = -n.realised.get(t.sell, 0)
        row_short = (n.ideal_out - got) * world.prices[t.buy] if got > 0 else 0.0
        if got > 0:
            filled += 1
            shortfall += row_short
            notional += sold * world.prices[t.sell]
        need_rows.append(
            {
                "need": t.need_id,
                "block": n.block,
                "sell": t.sell,
                "buy": t.buy,
                "amount": t.amount,
                "ideal_out": n.ideal_out,
                "realised_out": got,
                "sold": sold,
                "shortfall_usd": row_short,
                "filled": got > 0,
            }
        )
    now = _balances(world, SEARCHER)
    searcher_pnl = _value(world, {t: now[t] - world.searcher_start[t] for t in now})
    ledger = client.ledger
    metrics: dict[str, float | int] = {
        "needs": len(world.needs),
        "filled": filled,
        "unfilled": len(world.needs) - filled,
        "trader_shortfall_usd": shortfall,
        "trader_shortfall_bps": 1e4 * shortfall / notional if notional else 0.0,
        "searcher_pnl_usd": searcher_pnl,
        "sandwich_attempts": world.attempts,
        "sandwiches_landed": world.landed,
        "searcher_refused": world.refused,
        "llm_calls": ledger.run.calls,
        "llm_tokens": ledger.run.tokens,
        "llm_prompt_tokens": ledger.run.prompt_tokens,
        "llm_completion_tokens": ledger.run.completion_tokens,
        "llm_budget_refusals": ledger.run.refused,
    }
    transcript: list[dict[str, Any]] = []
    endpoint_errors = 0
    for role, agent in world.agents.items():
        spent = ledger.spent(agent.name)
        invalid = sum(1 for r in agent.transcript if r["status"] == "invalid")
        metrics[f"llm_calls_{role}"] = spent.calls
        metrics[f"llm_tokens_{role}"] = spent.tokens
        metrics[f"llm_invalid_{role}"] = invalid
        metrics[f"llm_decisions_{role}"] = agent.decisions
        metrics[f"llm_gave_up_{role}"] = agent.gave_up
        endpoint_errors += agent.endpoint_errors
        transcript.extend(agent.transcript)
    metrics["llm_endpoint_errors"] = endpoint_errors  # only with tolerate_endpoint_errors
    metrics["llm_invalid_answers"] = sum(int(metrics[f"llm_invalid_{r}"]) for r in world.agents)
    transcript.sort(key=lambda r: (r["block"], r["role"] != "trader", r["attempt"]))
    return GameResult(
        metrics=metrics,
        state_hash=world.device.state_hash().hex(),
        blocks=played,
        tables={"needs": need_rows, "llm_transcript": transcript},
    )
