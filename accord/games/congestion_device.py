"""The CFMM Pigou network on the device: ``users`` atomic users route swaps over a
shallow and a deep pool, with slippage limits and a sandwicher reading the mempool.

A shallow constant-product pool (``reserve_units`` a side, price 1) beside a deep one
priced at ``1 − link`` (``depth`` times deeper: a near-constant link). Each user sells an
equal share of ``demand × reserve_units`` base units of ``X`` for ``Y`` with a slippage
limit ``min_out = ⌊q·(10⁴ − eta_bps)/10⁴⌋`` on what it expects, ``q``
(:mod:`accord.games.congestion_sandwich`). The realised output, in exact integers from the
device's balances, is set against the routing game of the same integer pools
(:func:`~accord.mechanisms.congestion.parallel_pools`) with the shallow pool under the
sandwich loss ``η`` (the deep pool is the model's link): its Wardrop equilibrium, its
optimum, and the atomic users' pure Nash equilibrium
(:func:`~accord.mechanisms.congestion.atomic_equilibrium`); and, for one swap a block,
against the sequential model of :mod:`accord.games.congestion_sandwich`.

How the users trade is the device's ordering rule (``docs/congestion.md``):

- any rule but ``batch``: one swap a block, each user quoting both pools on the state it
  sees (``q`` is the quote) and swapping into the one that pays more: by the raw quotes,
  or, with ``anticipate``, by the η-adjusted ones (``(1 − η)·q`` on the shallow pool, the
  cost ``Game.with_eta`` gives the sandwiched edge). Each pays the *marginal* price its
  own slice causes, so the split approaches the optimum's (equal marginal prices, the
  optimal router's condition; Angeris et al., EC 2022), not Wardrop's;
- ``batch``: every swap in one block, which clears each pool at one uniform price
  (:mod:`accord.contracts.amm`), so every user of a pool pays its average price, as in
  the routing game; each user takes its path in the atomic Nash equilibrium (of the
  η-game with ``anticipate``), and ``q`` is its exact share of that clearing.

A sandwicher holding ``searcher_budget × reserve_units`` of ``X`` attacks every swap it
can see; whether the attack lands is the device's rules (fcfs, batch and hidden mempools
defeat it).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from accord.contracts.amm import ProductAMM
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks
from accord.games.base import GameResult, register_game
from accord.games.congestion_sandwich import PoolSandwicher, limit, sequential, shallow_eta
from accord.games.glossary import NON_NEGATIVE, Better, Glossary, Metric, Support
from accord.games.glossary import glossary as make_glossary
from accord.mechanisms.cfmm import Order, ProductPool, uniform_clearing
from accord.mechanisms.congestion import (
    Game,
    atomic_equilibrium,
    parallel_pools,
    price_of_anarchy,
)

__all__ = ["DEVICE_GLOSSARY", "CongestionDeviceGame", "CongestionDeviceParams"]


class CongestionDeviceParams(BaseModel):
    """Users, the demand (a fraction of the shallow pool's reserve), the link's loss, the
    deep pool's depth, the pools' fee, the shallow pool's reserve in base units, the
    users' slippage tolerance in basis points, whether they route anticipating the
    sandwich, and the sandwicher's budget (a multiple of the reserve; 0: none)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    users: int = Field(20, ge=1, le=500)
    demand: float = Field(1.0, gt=0.0, le=10.0)
    link: float = Field(0.5, gt=0.0, lt=1.0)
    depth: int = Field(10_000, ge=10, le=10**6)
    fee_bps: int = Field(0, ge=0, lt=10_000)
    reserve_units: int = Field(10**12, ge=10**6, le=10**18)
    eta_bps: int = Field(0, ge=0, le=9_000, strict=True)
    anticipate: bool = Field(False, strict=True)
    searcher_budget: float = Field(1.0, ge=0.0, le=100.0, allow_inf_nan=False, strict=True)


def _metric(name: str, unit: str, support: Support, meaning: str, better: Better) -> Metric:
    return Metric(name, unit, support, meaning, better, name in HEADLINE)


HEADLINE = {"realised_out", "realised_vs_optimum", "realised_vs_wardrop", "loss_shallow"}
RATIO, FRACTION = NON_NEGATIVE, Support(0.0, 1.0)
DEVICE_GLOSSARY: Glossary = make_glossary(
    [
        _metric(*m)
        for m in (
            ("realised_out", "Y base units", NON_NEGATIVE,
             "Y the users received on the device, summed.", Better.HIGHER),
            ("wardrop_out", "Y base units", NON_NEGATIVE,
             "Y the Wardrop equilibrium delivers on the same pools, shallow pool under η.",
             Better.NEITHER),
            ("optimum_out", "Y base units", NON_NEGATIVE,
             "Y the social optimum delivers on the same pools, shallow pool under η.",
             Better.NEITHER),
            ("atomic_out", "Y base units", NON_NEGATIVE,
             "Y the users' pure Nash equilibrium (each pool one shared price; of the η-game "
             "if they anticipate) delivers, exact, with no sandwich.", Better.NEITHER),
            ("sequential_out", "Y base units", NON_NEGATIVE,
             "Y the sequential model predicts (one swap a block, no fee; else undefined).",
             Better.NEITHER),
            ("realised_vs_optimum", "ratio", RATIO, "realised_out over optimum_out.",
             Better.HIGHER),
            ("realised_vs_wardrop", "ratio", RATIO, "realised_out over wardrop_out.",
             Better.NEITHER),
            ("share_realised", "fraction", FRACTION,
             "Fraction of X the users sent to the shallow pool.", Better.NEITHER),
            ("share_wardrop", "fraction", FRACTION,
             "The η-equilibrium's fraction to the shallow pool.", Better.NEITHER),
            ("share_optimum", "fraction", FRACTION,
             "The η-optimum's fraction to the shallow pool.", Better.NEITHER),
            ("share_sequential", "fraction", FRACTION,
             "The sequential model's fraction to the shallow pool (undefined as above).",
             Better.NEITHER),
            ("loss_shallow", "fraction", FRACTION,
             "1 − Y received over Y expected, on the shallow pool's swaps (≈ η if sandwiched).",
             Better.LOWER),
            ("loss_deep", "fraction", FRACTION,
             "The same on the deep pool's swaps (the sandwicher's budget moves it little).",
             Better.LOWER),
            ("sandwich_take", "X base units", NON_NEGATIVE,
             "X the sandwicher gained (its profit).", Better.LOWER),
            ("sandwich_attempts", "count", NON_NEGATIVE,
             "Sandwiches sized and sent (bundles refused by the device included).",
             Better.NEITHER),
            ("sandwiches_landed", "count", NON_NEGATIVE,
             "Sandwiches whose front- and back-run both ran.", Better.LOWER),
            ("poa_model", "ratio", RATIO,
             "The η-model's price of anarchy: equilibrium over optimal cost.", Better.LOWER),
            ("poa_realised", "ratio", RATIO,
             "Value lost on the device (X's value at the best price less realised_out, "
             "the sandwich's take included) over the η-optimum's cost.", Better.LOWER),
        )
    ]
)  # fmt: skip

LP, SEARCHER, X, Y = "lp", "searcher", "X", "Y"


def _deploy(dev: Device, p: CongestionDeviceParams, deep: tuple[int, int]) -> list[str]:
    lp, r = dev.account(LP), p.reserve_units
    pools = []
    for x, y in ((r, r), deep):
        pool = dev.deploy(lp, ProductAMM, X, Y, p.fee_bps)
        added = dev.call(lp, pool, "add_liquidity", 0, LP, value={X: x, Y: y})
        assert added.ok, added.error
        pools.append(pool)
    return pools


@register_game
class CongestionDeviceGame:
    """N users route swaps one by one (or in one batch) over a shallow and a deep pool."""

    name: ClassVar[str] = "congestion_device"
    Params: ClassVar[type[BaseModel]] = CongestionDeviceParams
    glossary: ClassVar[Glossary] = DEVICE_GLOSSARY

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        p = CongestionDeviceParams.model_validate(params.model_dump())
        r, eta = p.reserve_units, p.eta_bps / 10_000
        deep = (p.depth * r, math.floor(p.depth * r * (1.0 - p.link)))
        total = max(p.users, math.floor(p.demand * r))
        chunks = [total // p.users + (1 if i < total % p.users else 0) for i in range(p.users)]
        names = [f"user{i:03d}" for i in range(p.users)]
        budget = math.floor(p.searcher_budget * r)
        fees = dict.fromkeys([LP, SEARCHER, *names], 10**18)
        x_alloc = {LP: r + deep[0], SEARCHER: budget, **dict(zip(names, chunks, strict=True))}
        genesis = Genesis(
            assets={
                device.fee_asset: AssetSpec(issuer="treasury", alloc=fees),
                X: AssetSpec(issuer="fed", alloc={k: v for k, v in x_alloc.items() if v}),
                Y: AssetSpec(issuer="fed", alloc={LP: r + deep[1]}),
            }
        )
        dev = Device(device, genesis, seed=seed)
        checks.check_every_block(dev)
        pools = _deploy(dev, p, deep)
        start = [
            ProductPool(tuple(dev.view(pool, "reserves")), p.fee_bps, (X, Y)) for pool in pools
        ]
        base = parallel_pools(start, X, total, Y)
        game = shallow_eta(base, eta)
        atomic = atomic_equilibrium(game if p.anticipate else base, p.users)
        nash = [game.paths[int(c)][0] for c in atomic.choice]
        shares = _batch_shares(start, nash, chunks)
        searcher = PoolSandwicher(dev, dev.account(SEARCHER), pools, p.fee_bps, X, Y)
        batch = device.ordering == "batch"
        rows: list[dict[str, Any]] = []
        for i, (name, amount) in enumerate(zip(names, chunks, strict=True)):
            if batch:  # one block, one price a pool: the atomic game's Nash choice
                k, expected = nash[i], shares[i]
            else:  # one swap a block: the better (η-adjusted) quote on the state it sees
                quotes = [dev.view(pool, "quote", X, amount) for pool in pools]
                seen = [limit(quotes[0], p.eta_bps) if p.anticipate else quotes[0], quotes[1]]
                k = 0 if seen[0] >= seen[1] else 1  # ties go to the shallow pool
                expected = quotes[k]
            floor = limit(expected, p.eta_bps)
            tx = dev.sign(
                dev.account(name), pools[k], "swap", X, amount, floor, name, Y, value={X: amount}
            )
            dev.submit(tx)
            rows.append({"user": name, "pool": k, "amount_in": amount, "expected": expected})
            if not batch:
                searcher.attack()
                dev.build_block()
                searcher.settle()
                assert dev.nonce(name) == 1, f"{name}'s swap did not run"
        if batch:
            searcher.attack()
            block = dev.build_block()
            searcher.settle()
            assert all(r.ok for r in block.receipts), [r.error for r in block.receipts]
        for row in rows:
            row["amount_out"] = dev.balance(row["user"], Y)
        lands = device.ordering == "priority" and device.mempool == "public"
        deep_price = start[1].reserves[1] / start[1].reserves[0]
        metrics = _metrics(
            p, game, base, total, rows, shares, (deep_price, lands and budget > 0), batch
        )
        metrics["realised_out"] = sum(row["amount_out"] for row in rows)
        metrics["realised_vs_optimum"] = metrics["realised_out"] / metrics["optimum_out"]
        metrics["realised_vs_wardrop"] = metrics["realised_out"] / metrics["wardrop_out"]
        value = base.total_demand
        metrics["poa_realised"] = (value - metrics["realised_out"]) / (
            value - metrics["optimum_out"]
        )
        metrics["sandwich_take"] = dev.balance(SEARCHER, X) - budget
        metrics["sandwich_attempts"] = searcher.attempts
        metrics["sandwiches_landed"] = searcher.landed
        ordered = {name: metrics[name] for name in DEVICE_GLOSSARY}  # the glossary's order
        return GameResult(ordered, dev.state_hash().hex(), dev.number, {"swaps": rows})


def _batch_shares(start: list[ProductPool], nash: list[int], chunks: list[int]) -> list[int]:
    """Each user's exact output when every pool clears its Nash users at one price."""
    shares = [0] * len(chunks)
    for k, pool in enumerate(start):
        mine = [i for i, choice in enumerate(nash) if choice == k]
        if not mine:
            continue
        clearing = uniform_clearing(pool, 0, 1, tuple(Order(True, chunks[i]) for i in mine))
        for i, out in zip(mine, clearing.outs, strict=True):
            shares[i] = out
    return shares


def _loss(rows: list[dict[str, Any]], pool: int) -> float:
    """``1 − Σ received / Σ expected`` over the swaps on ``pool`` (NaN if none)."""
    expected = sum(row["expected"] for row in rows if row["pool"] == pool)
    got = sum(row["amount_out"] for row in rows if row["pool"] == pool)
    return 1.0 - got / expected if expected else math.nan


def _metrics(
    p: CongestionDeviceParams,
    game: Game,
    base: Game,
    total: int,
    rows: list[dict[str, Any]],
    shares: list[int],
    deep: tuple[float, bool],
    batch: bool,
) -> dict[str, float | int]:
    """The models' predictions and the realised shares (the run's totals are added by
    the caller); ``deep`` is the deep pool's price and whether sandwiches can land
    (a public mempool under an ordering that sells position)."""
    result = price_of_anarchy(game)
    value = base.total_demand
    shallow = [row for row in rows if row["pool"] == 0]
    seq_share = seq_out = math.nan
    if p.fee_bps == 0 and not batch:
        eta = p.eta_bps / 10_000
        seq = sequential(
            float(p.reserve_units), deep[0], float(total), eta,
            anticipate=p.anticipate, sandwiched=deep[1],
        )  # fmt: skip
        seq_share, seq_out = seq.share, seq.out
    return {
        "wardrop_out": value - result.equilibrium.total_cost,
        "optimum_out": value - result.optimum.total_cost,
        "atomic_out": sum(shares),
        "sequential_out": seq_out,
        "share_realised": sum(row["amount_in"] for row in shallow) / total,
        "share_wardrop": float(result.equilibrium.edge_flow[0]) / value,
        "share_optimum": float(result.optimum.edge_flow[0]) / value,
        "share_sequential": seq_share,
        "loss_shallow": _loss(rows, 0),
        "loss_deep": _loss(rows, 1),
        "poa_model": result.poa,
    }
