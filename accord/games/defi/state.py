"""The DeFi routing game's bookkeeping: one run's mutable record, valued at reference prices.

``RunState`` holds everything the metrics are made from (the device, the pools, the agents,
every trade need as ``NeedState`` with its ideal, sequential and realised flows, P&L and
per-block counters). The helpers read the device: an account's balances (``account_flows``),
their value at the reference prices (``flows_value_usd``: ``Σ_t p_t·flow_t``, gas at the fee
asset's price), the pools' value (the LPs' claim) and the pools as a
:class:`~accord.agents.defi.Market` (``read_market``). Internal to
:mod:`accord.games.defi.routing` and its :mod:`~accord.games.defi.setup` and
:mod:`~accord.games.defi.metrics`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from accord.agents.defi import Market, PoolInfo, TradeNeed, User
from accord.agents.defi.searchers import Searcher
from accord.agents.defi.solver import CowSolver
from accord.contracts.amm import ProductAMM, WeightedAMM, pool_state
from accord.device import Device
from accord.games.defi.params import Params
from accord.mechanisms.cfmm import Pool


@dataclass
class NeedState:
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
class RunState:
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
    solvers: dict[str, CowSolver] = field(default_factory=dict)
    market: Market | None = None
    needs: list[NeedState] = field(default_factory=list)
    open: dict[str, NeedState] = field(default_factory=dict)
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
    start_pools: tuple[Pool, ...] = ()


def pools_value_usd(run: RunState) -> float:
    """The pools' reserves at reference prices (the LPs' claim; MINIMUM_LIQUIDITY aside)."""
    return sum(flows_value_usd(run, account_flows(run, address)) for address, _ in run.pools)


def read_market(run: RunState) -> Market:
    contracts = run.device.contracts
    infos = tuple(
        PoolInfo(address, pool_state(contracts[address].storage(), kind))  # type: ignore[arg-type]
        for address, kind in run.pools
    )
    return Market(infos, run.prices, run.fee_price, run.hub, run.settlement)


def account_flows(run: RunState, account: str) -> dict[str, int]:
    device = run.device
    return {t: device.balance(account, t) for t in (*run.tokens, run.device.config.fee_asset)}


def flows_value_usd(run: RunState, flows: Mapping[str, int]) -> float:
    fee = run.device.config.fee_asset
    return sum(
        (run.fee_price if t == fee else run.prices.get(t, 0.0)) * a for t, a in flows.items()
    )
