"""The DeFi routing game as a PettingZoo ``ParallelEnv``: searchers learn when MEV pays.

Each :meth:`DefiRoutingEnv.step` is one block of the device (:class:`accord.device.Device`)
with constant-product pools ``T0/T1 … T0/T{n-1}`` (Uniswap v2 integers,
:class:`accord.contracts.amm.ProductAMM`):

1. **Re-anchoring** (``rebalance``): a scripted arbitrageur
   (:class:`accord.agents.defi.searchers.Arbitrageur`) trades every pool back to the
   reference prices in a block of its own, so that every step starts from the same
   prices; the learning agents never see that block. This stands in for the external
   market that CEX-DEX arbitrage keeps the pools tied to.
2. **Victims arrive**: ``victims_per_block`` naive users
   (:class:`accord.agents.defi.NaiveUser`) each sell ``share × reserve`` of one side of a
   seeded pool (``share`` drawn from ``trade_shares``) with a slippage tolerance drawn from
   ``tolerances_bps``, and submit their swap to the mempool.
3. **Searchers act** on their :class:`~accord.agents.base.Observation` of that mempool,
   which the run's visibility filters (``public``: they read the victims' swaps;
   ``private``: they see nothing; ``sealed``: they see envelopes they cannot read). Each
   agent's action indexes its menu (``actions``, by default all of :data:`ACTIONS`):

   * ``abstain``: nothing.
   * ``sandwich``: the most profitable exact sandwich of the visible victims within each
     victim's ``min_out`` (:func:`accord.agents.defi.searchers.best_sandwich`, Zhou et al.,
     "High-Frequency Trading on Decentralized On-Chain Exchanges", S&P 2021), sent as a
     Flashbots bundle ``[front, victim, back]`` tipping ``searcher_tip`` per gas (under
     the ``batch`` rule, where bundles have no position to buy, as two transactions).
     Nothing is sent when no victim can be sandwiched at a token profit.
   * ``backrun``: arbitrage what the visible swaps will leave
     (:class:`~accord.agents.defi.searchers.Arbitrageur` with ``backrun=True``).

4. The device builds the block (honest builder, the run's ordering rule and fee market).

**Reward** of each searcher is its realised profit in the block, in USD: the exact
integer change of its balance in every token and in the fee asset, valued at the
reference prices (``Σ_t p_t·Δb_t``), so gas and tips count. Balances stay integers; the
conversion to float happens only for the reward (``info[agent]["delta"]`` has the exact
integers).

**Observation** (``Box`` of :data:`OBS_FIELDS`): whether a victim is readable, the largest
readable victim's trade as a share of its pool's input reserve and its slippage
tolerance ``1 − min_out / quote`` (both read off the pending transaction and the pools,
exactly as a searcher on Ethereum reads them), counts of readable and sealed pending
transactions, the gas cost of one swap at the base fee in USD, and one-hot codes of the
ordering rule and the mempool visibility.

**Default design.** The env's default device uses the ``first_price`` fee market (no
base fee: a transaction pays its tip per gas), so the gas a sandwich pays is the known
constant ``searcher_tip × gas_used × fee_price_usd``: a sandwich then pays exactly when
its exact token profit exceeds that, which is the threshold the learning tests check
(with the defaults, ``2 × ~62,300 gas × 300,000 × 1e-9 ≈ $37.38``).
Pass ``device=`` (a :class:`~accord.device.DeviceConfig` or a dict of its fields) to play
any other design.

Seeding: :meth:`reset` with a seed rebuilds the device and every stream from
``numpy.random.SeedSequence(seed)``; a later ``reset()`` without a seed draws the next
episode's seed from a generator seeded by the last explicit seed (0 if none was ever
given), so a sequence of episodes replays exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.agents.base import Action, Observation, observe, submit
from accord.agents.defi import Market, NaiveUser, PoolInfo, TradeNeed
from accord.agents.defi.searchers import (
    Arbitrageur,
    SwapCall,
    best_sandwich,
    sandwich_actions,
    targets,
)
from accord.contracts.amm import ProductAMM, pool_state
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, SealedTx, checks
from accord.envs.base import DeviceEnv, StepResult, check_render_mode
from accord.mechanisms.cfmm import ProductPool

ACTIONS: tuple[str, ...] = ("abstain", "sandwich", "backrun")
"""A searcher's discrete actions, by index."""

ORDERINGS: tuple[str, ...] = ("fcfs", "priority", "random", "batch")
VISIBILITIES: tuple[str, ...] = ("public", "private", "sealed")

OBS_FIELDS: tuple[str, ...] = (
    "victim_visible",
    "victim_share",
    "victim_tolerance",
    "readable_pending",
    "sealed_pending",
    "swap_gas_usd",
    *(f"ordering_{o}" for o in ORDERINGS),
    *(f"mempool_{v}" for v in VISIBILITIES),
)
"""The observation vector's entries, in order."""

DEFAULT_DEVICE = DeviceConfig(fee_market="first_price")
"""The env's default design: priority ordering, public mempool, first-price fees."""


class DefiEnvParams(BaseModel):
    """The env's parameters (every field has a default); unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    searchers: int = Field(1, ge=1, le=16, description="learning searchers")
    max_blocks: int = Field(32, ge=1, description="blocks per episode")
    tokens: int = Field(3, ge=2, le=16, description="tokens T0 (the hub) … T{n-1}")
    depth_usd: float = Field(5e6, gt=0, description="each pool's value, half per side")
    decimals: int = Field(9, ge=0, le=24)
    fee_bps: int = Field(30, ge=0, lt=10_000)
    trade_shares: tuple[float, ...] = Field(
        (0.01,), description="victim's trade as a share of its pool's input reserve"
    )
    tolerances_bps: tuple[int, ...] = Field(
        (10, 50, 100, 300), description="victims' slippage tolerances, drawn uniformly"
    )
    victims_per_block: int = Field(1, ge=0, le=64)
    actions: tuple[str, ...] = Field(ACTIONS, description="the searchers' menu, from ACTIONS")
    user_tip: int = Field(1, ge=0, description="victims' tip per gas")
    searcher_tip: int = Field(300_000, ge=0, description="a sandwich bundle's tip per gas")
    fee_price_usd: float = Field(1e-9, gt=0, description="USD per base unit of the fee asset")
    inventory_usd: float = Field(1e7, gt=0, description="each searcher's holding per token")
    rebalance: bool = Field(True, description="re-anchor the pools before every step")
    check_conservation: bool = Field(True, description="check conservation every block")

    @model_validator(mode="after")
    def _check(self) -> DefiEnvParams:
        if not self.trade_shares or not all(0 < s < 1 for s in self.trade_shares):
            raise ValueError(f"trade_shares must be shares in (0, 1), got {self.trade_shares}")
        if not self.tolerances_bps or not all(0 <= t < 10_000 for t in self.tolerances_bps):
            raise ValueError(f"tolerances_bps must be in [0, 10000), got {self.tolerances_bps}")
        unknown = [a for a in self.actions if a not in ACTIONS]
        if not self.actions or unknown or len(set(self.actions)) != len(self.actions):
            raise ValueError(f"actions must be distinct names from {ACTIONS}, got {self.actions}")
        return self


class DefiRoutingEnv(DeviceEnv):
    """Searchers ``searcher_0 …`` on CFMM pools, one block per step (module docstring)."""

    metadata: ClassVar[dict[str, Any]] = {
        "name": "defi_routing_v0",
        "render_modes": [],
        "is_parallelizable": True,
    }

    def __init__(
        self,
        device: DeviceConfig | Mapping[str, Any] | None = None,
        render_mode: str | None = None,
        **params: Any,
    ) -> None:
        check_render_mode(render_mode)
        self.params = DefiEnvParams.model_validate(params)
        if device is None:
            self.config = DEFAULT_DEVICE
        elif isinstance(device, DeviceConfig):
            self.config = device
        else:
            self.config = DeviceConfig.model_validate(dict(device))
        agents = [f"searcher_{k}" for k in range(self.params.searchers)]
        high = np.ones(len(OBS_FIELDS), dtype=np.float32)
        high[3:6] = np.inf
        spaces = {a: gymnasium.spaces.Box(0.0, high, dtype=np.float32) for a in agents}
        super().__init__(render_mode, agents, spaces, len(self.params.actions))

    # -- episode -----------------------------------------------------------------------
    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        self._setup(self._episode_seed(seed))
        self.agents = list(self.possible_agents)
        self._blocks = 0
        obs = self._prepare_block()
        return obs, {a: {"block": self.device.number + 1} for a in self.agents}

    def _setup(self, seed: int) -> None:
        p = self.params
        net, victims, agents = np.random.SeedSequence(seed).spawn(3)
        rng = np.random.default_rng(net)
        tokens = [f"T{k}" for k in range(p.tokens)]
        usd = np.exp(rng.normal(0.0, 1.0, size=p.tokens))
        usd[0] = 1.0
        scale = 10.0**p.decimals
        self.prices = {t: float(u) / scale for t, u in zip(tokens, usd, strict=True)}
        self.tokens = tuple(tokens)
        fee = self.config.fee_asset
        holders = [*self.possible_agents, "arbitrageur"]
        self.victims = [f"victim_{k}" for k in range(p.victims_per_block)]
        side = {t: int(p.depth_usd / 2 / self.prices[t]) for t in tokens}
        lp = {t: side[t] * (p.tokens - 1 if t == "T0" else 1) for t in tokens}
        # a victim sells at most one pool side per block: this never runs out in an episode
        victim_usd = (p.max_blocks + 1) * p.depth_usd
        assets = {
            t: AssetSpec(
                issuer="mint",
                alloc={
                    "lp": lp[t],
                    **dict.fromkeys(holders, int(p.inventory_usd / self.prices[t])),
                    **dict.fromkeys(self.victims, int(victim_usd / self.prices[t])),
                },
            )
            for t in tokens
        }
        assets[fee] = AssetSpec(
            issuer="treasury",
            alloc=dict.fromkeys(["lp", *holders, *self.victims], 10**27),
        )
        device = Device(self.config, Genesis(assets=assets), seed=seed, history=2)
        if p.check_conservation:
            checks.check_every_block(device)
        account = device.account("lp")
        self.pools: list[str] = []
        for t in tokens[1:]:
            address = device.deploy(account, ProductAMM, "T0", t, p.fee_bps)
            value = {"T0": side["T0"], t: side[t]}
            device.call(account, address, "add_liquidity", 0, "lp", value=value)
            self.pools.append(address)
        self._device = device
        self._victim_rng = np.random.default_rng(victims)
        agent_seqs = agents.spawn(len(self.possible_agents) + 2)
        self._order_rng = np.random.default_rng(agent_seqs[0])
        self._arbitrageur = Arbitrageur(
            device.account("arbitrageur"), np.random.default_rng(agent_seqs[1]), bid_share=0.0
        )
        self._backrunners = {
            a: Arbitrageur(device.account(a), np.random.default_rng(s), backrun=True)
            for a, s in zip(self.possible_agents, agent_seqs[2:], strict=True)
        }
        self._victim_agents = {
            v: NaiveUser(device.account(v), np.random.default_rng(0), priority_fee=p.user_tip)
            for v in self.victims
        }
        self._needs = 0

    def _market(self) -> Market:
        contracts = self.device.contracts
        infos: list[PoolInfo] = []
        for address in self.pools:
            curve = pool_state(contracts[address].storage(), ProductAMM)
            assert isinstance(curve, ProductPool)
            infos.append(PoolInfo(address, curve))
        return Market(tuple(infos), self.prices, self.params.fee_price_usd, "T0")

    def _prepare_block(self) -> dict[str, np.ndarray]:
        """Re-anchor the pools, submit the next block's victims, observe."""
        device, p = self.device, self.params
        if p.rebalance:
            market = self._market()
            obs = observe(device, "arbitrageur", assets=self.tokens, state={"market": market})
            submit(device, "arbitrageur", self._arbitrageur.act(obs))
            device.build_block()
        self._market_now = market = self._market()
        for victim in self.victims:
            self._submit_victim(victim, market)
        self._obs: dict[str, Observation] = {}
        out: dict[str, np.ndarray] = {}
        for agent in self.agents:
            o = observe(device, agent, assets=self.tokens, state={"market": market})
            self._obs[agent] = o
            out[agent] = self._vector(o, market)
        self._before = {a: self._holdings(a) for a in self.agents}
        return out

    def _submit_victim(self, victim: str, market: Market) -> None:
        """A naive user's swap: a seeded pool, side, size and slippage tolerance."""
        p, rng = self.params, self._victim_rng
        pool = market.pools[int(rng.integers(len(market.pools)))]
        i = int(rng.integers(2))
        share = p.trade_shares[int(rng.integers(len(p.trade_shares)))]
        tolerance = p.tolerances_bps[int(rng.integers(len(p.tolerances_bps)))]
        amount = max(1, int(share * pool.curve.reserves[i]))
        need = TradeNeed(self._needs, pool.tokens[i], pool.tokens[1 - i], amount, tolerance)
        self._needs += 1
        obs = observe(
            self.device, victim, state={"market": market}, private={"need": need}, mempool=False
        )
        submit(self.device, victim, self._victim_agents[victim].act(obs))

    def _vector(self, obs: Observation, market: Market) -> np.ndarray:
        v = np.zeros(len(OBS_FIELDS), dtype=np.float32)
        victims = targets(obs, market, obs.agent)
        if victims:
            s = max(victims, key=lambda s: s.amount_in * market.prices[s.curve.tokens[s.i]])
            quote = s.curve.out_given_in(s.i, s.j, s.amount_in)
            v[0] = 1.0
            v[1] = min(1.0, s.amount_in / s.curve.reserves[s.i])
            v[2] = min(1.0, max(0.0, 1.0 - s.min_out / quote)) if quote > 0 else 1.0
        v[3] = sum(1 for q in obs.visible() if q.tx.sender != obs.agent)
        v[4] = sum(1 for q in obs.mempool if isinstance(q, SealedTx))
        v[5] = 60_000 * obs.base_fee * self.params.fee_price_usd
        v[6 + ORDERINGS.index(obs.ordering)] = 1.0
        v[6 + len(ORDERINGS) + VISIBILITIES.index(obs.visibility)] = 1.0
        return v

    def _holdings(self, agent: str) -> dict[str, int]:
        device = self.device
        return {t: device.balance(agent, t) for t in (*self.tokens, self.config.fee_asset)}

    def _usd(self, delta: Mapping[str, int]) -> float:
        fee = self.config.fee_asset
        return sum(
            (self.params.fee_price_usd if t == fee else self.prices[t]) * a
            for t, a in delta.items()
        )

    # -- acting ------------------------------------------------------------------------
    def _sandwich(self, agent: str, obs: Observation) -> list[Action]:
        market = self._market_now
        best: tuple[float, SwapCall, Any] | None = None
        for s in targets(obs, market, agent):
            asset = s.curve.tokens[s.i]
            sw = best_sandwich(s.curve, s.i, s.j, s.amount_in, s.min_out, obs.balances[asset])
            if sw is None:
                continue
            value = sw.profit * market.prices[asset]
            if best is None or value > best[0]:
                best = (value, s, sw)
        if best is None:
            return []
        _, s, sw = best
        account = self.device.account(agent)
        return sandwich_actions(account, obs, s, sw, self.params.searcher_tip, True)

    def _actions(self, agent: str, action: int) -> list[Action]:
        obs = self._obs[agent]
        kind = self.params.actions[action]
        if kind == "sandwich":
            return self._sandwich(agent, obs)
        if kind == "backrun":
            return list(self._backrunners[agent].act(obs))
        return []

    def step(self, actions: Mapping[str, Any]) -> StepResult:
        if not self.agents:
            raise RuntimeError("the episode is over: call reset()")
        chosen: dict[str, int] = {}
        for agent in self.agents:
            if agent not in actions:
                raise KeyError(f"no action for {agent} (every live agent acts each step)")
            a = actions[agent]
            if not self._act_space[agent].contains(a):
                raise ValueError(f"{agent}: action {a!r} is not in {self._act_space[agent]}")
            chosen[agent] = int(a)
        unknown = sorted(set(actions) - set(self.agents))
        if unknown:
            raise KeyError(f"actions for agents not in the episode: {unknown}")
        device = self.device
        sent: dict[str, int] = {}
        for k in self._order_rng.permutation(len(self.agents)):
            agent = self.agents[int(k)]
            done = submit(device, agent, self._actions(agent, chosen[agent]))
            sent[agent] = sum(1 for d in done if d.hash is not None)
        block = device.build_block()
        self._blocks += 1
        rewards: dict[str, float] = {}
        infos: dict[str, dict[str, Any]] = {}
        for agent in self.agents:
            after = self._holdings(agent)
            delta = {t: after[t] - self._before[agent][t] for t in after}
            rewards[agent] = self._usd(delta)
            infos[agent] = {
                "block": block.number,
                "action": self.params.actions[chosen[agent]],
                "sent": sent[agent],
                "delta": {t: d for t, d in delta.items() if d},
            }
        over = self._blocks >= self.params.max_blocks
        truncations = dict.fromkeys(self.agents, over)
        terminations = dict.fromkeys(self.agents, False)
        if over:
            obs = {a: self._vector(self._obs[a], self._market_now) for a in self.agents}
            self.agents = []
        else:
            obs = self._prepare_block()
        return obs, rewards, terminations, truncations, infos

    def state_hash(self) -> str:
        """The device's state hash in hex: the episode's fingerprint so far."""
        return self.device.state_hash().hex()
