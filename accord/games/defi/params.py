"""The DeFi routing game's parameters: one frozen pydantic model, every field defaulted.

:class:`Params` is what a scenario's ``[params]`` table sets for ``game = "defi_routing"``
(:mod:`accord.games.defi.routing`, which re-exports it; ``docs/defi.md`` describes each
knob's effect). Unknown fields, an empty depth range and unknown user kinds in ``mix`` are
rejected with an error that names them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.agents.defi import USER_KINDS

__all__ = ["Params"]


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
        64, ge=1, description="price vectors each CoW solver (off the device) tries per batch"
    )
    cow_solvers: int = Field(
        1, ge=1, le=8, description="competing CoW solvers (solver k tries cow_max_candidates·2^-k)"
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
