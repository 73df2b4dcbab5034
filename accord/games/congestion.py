"""The congestion game as lab scenarios: its equilibrium and price of anarchy, and N
users routing swaps over real pools on the device.

Two games (``docs/congestion.md``, ``examples/congestion.toml`` and
``examples/congestion-device.toml``):

* ``congestion`` solves one network of :mod:`accord.mechanisms.congestion.examples`
  (Pigou, Braess, the CFMM Pigou with Kulkarni, Diamandis & Chitra's parameters, the
  CFMM Braess) at a sandwich loss ``η`` and a demand: the Wardrop equilibrium's and the
  optimum's total cost, the certified bracket of the price of anarchy
  (:func:`~accord.mechanisms.congestion.price_of_anarchy`), the value ratio for the value
  games, the lead edge's flow at both (Pigou's variable link or pool, Braess's shortcut)
  and, where one exists, the closed form's price of anarchy. Each edge's flows go to
  the long-form table ``edges``. No device is involved: the metrics are the theory's.
* ``congestion_device`` plays the CFMM Pigou on the device: a shallow constant-product
  pool (``reserve`` a side, price 1) beside a deep one priced at ``1 − link`` (``depth``
  times deeper: a near-constant link). ``users`` atomic users each sell an equal share
  of ``demand × reserve`` base units of ``X`` for ``Y``. The realised output, in exact
  integers from the device's balances, is set against the game's predictions for the
  same integer pools (:func:`~accord.mechanisms.congestion.parallel_pools`): the Wardrop
  equilibrium's output, the optimum's, and the atomic users' pure Nash equilibrium when
  every user of a pool pays its average price
  (:func:`~accord.mechanisms.congestion.atomic_equilibrium`). How the users trade is the
  device's ordering rule:

  - any rule but ``batch``: one swap a block, each user quoting both pools on the state
    it sees and swapping into the one that pays more. Each pays the *marginal* price its
    own slice causes, so the split approaches the optimum's (equal marginal prices, the
    optimal router's condition; Angeris et al., EC 2022), not Wardrop's;
  - ``batch``: every swap in one block, which clears each pool at one uniform price
    (:mod:`accord.contracts.amm`), so every user of a pool pays its average price, as
    in the routing game; each user takes its path in the atomic Nash equilibrium, and
    the device realises that equilibrium's output, which tends to Wardrop's.

  The device has no sandwicher here: the predictions are at ``η = 0``.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from accord.contracts.amm import ProductAMM
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks
from accord.games.base import GameResult, register_game
from accord.games.glossary import NON_NEGATIVE, Better, Glossary, Metric, Support
from accord.games.glossary import glossary as make_glossary
from accord.mechanisms.cfmm import ProductPool
from accord.mechanisms.congestion import (
    Game,
    atomic_equilibrium,
    braess,
    cfmm_braess,
    cfmm_pigou,
    cfmm_pigou_closed_form,
    parallel_pools,
    pigou,
    price_of_anarchy,
)

__all__ = [
    "CongestionDeviceGame",
    "CongestionDeviceParams",
    "CongestionGame",
    "CongestionParams",
    "pigou_poa",
]

Network = Literal["pigou", "braess", "cfmm_pigou", "cfmm_braess"]
LEAD = {"pigou": "variable", "braess": "a-b", "cfmm_pigou": "cfmm", "cfmm_braess": "a-b"}
"""Each network's lead edge: the one selfish users over-use."""
AT_LEAST_ONE = Support(1.0, math.inf)


class CongestionParams(BaseModel):
    """A network, the sandwich loss on its pools, the demand, and the pools' shape."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    network: Network = "cfmm_pigou"
    eta: float = Field(0.0, ge=0.0, lt=1.0)
    demand: float = Field(1.0, gt=0.0, le=100.0)
    reserve: float = Field(1.0, gt=0.0, le=1e6)
    link: float = Field(0.5, ge=0.0, lt=1.0)


def build(p: CongestionParams) -> Game:
    """The network of ``p`` (η applies to CFMM edges only: Pigou and Braess have none)."""
    if p.network == "pigou":
        return pigou(p.demand)
    if p.network == "braess":
        return braess(True, p.demand)
    make = cfmm_pigou if p.network == "cfmm_pigou" else cfmm_braess
    return make(reserve=p.reserve, link=p.link, eta=p.eta, demand=p.demand)


def pigou_poa(demand: float) -> float:
    """Pigou's price of anarchy at demand ``d`` (``x`` against 1): the equilibrium puts
    ``min(d, 1)`` on ``x`` (cost ``d²`` up to 1, then ``d``); the optimum ``min(d, ½)``
    (cost ``d²`` up to ½, then ``d − ¼``). So 1 for ``d ≤ ½``, ``d²/(d − ¼)`` up to 1
    (4/3 at 1) and ``d/(d − ¼)`` beyond (Roughgarden & Tardos 2002, §1)."""
    d = demand
    eq = d * d if d <= 1.0 else d
    opt = d * d if d <= 0.5 else d - 0.25
    return eq / opt


GLOSSARY: Glossary = make_glossary(
    [
        Metric(
            "poa",
            "ratio",
            AT_LEAST_ONE,
            "Equilibrium cost over optimal cost at the computed flows.",
            Better.LOWER,
            True,
        ),
        Metric(
            "poa_low",
            "ratio",
            AT_LEAST_ONE,
            "Certified lower end of the price of anarchy.",
            Better.LOWER,
        ),
        Metric(
            "poa_high",
            "ratio",
            AT_LEAST_ONE,
            "Certified upper end of the price of anarchy.",
            Better.LOWER,
        ),
        Metric(
            "poa_closed_form",
            "ratio",
            AT_LEAST_ONE,
            "The closed form's price of anarchy (Pigou, CFMM Pigou; undefined elsewhere).",
            Better.NEITHER,
        ),
        Metric(
            "cost_eq",
            "value units",
            NON_NEGATIVE,
            "Total cost of the Wardrop equilibrium.",
            Better.LOWER,
            True,
        ),
        Metric(
            "cost_opt",
            "value units",
            NON_NEGATIVE,
            "Total cost of the social optimum.",
            Better.LOWER,
        ),
        Metric(
            "value_ratio",
            "ratio",
            AT_LEAST_ONE,
            "Value delivered, optimum over equilibrium, (D − C*)/(D − L*) (value games only).",
            Better.LOWER,
        ),
        Metric(
            "value_ratio_low",
            "ratio",
            AT_LEAST_ONE,
            "Certified lower end of the value ratio.",
            Better.LOWER,
        ),
        Metric(
            "value_ratio_high",
            "ratio",
            AT_LEAST_ONE,
            "Certified upper end of the value ratio.",
            Better.LOWER,
        ),
        Metric(
            "lead_eq",
            "flow",
            NON_NEGATIVE,
            "The lead edge's equilibrium flow (Pigou: variable link or pool; Braess: shortcut).",
            Better.NEITHER,
        ),
        Metric(
            "lead_opt", "flow", NON_NEGATIVE, "The lead edge's flow at the optimum.", Better.NEITHER
        ),
        Metric(
            "gap",
            "value units",
            NON_NEGATIVE,
            "The larger of the two Frank–Wolfe gaps.",
            Better.LOWER,
        ),
    ]
)


@register_game
class CongestionGame:
    """The routing game's equilibrium, optimum and price of anarchy on one network."""

    name: ClassVar[str] = "congestion"
    Params: ClassVar[type[BaseModel]] = CongestionParams
    glossary: ClassVar[Glossary] = GLOSSARY

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        p = CongestionParams.model_validate(params.model_dump())
        game = build(p)
        result = price_of_anarchy(game)
        low, high = result.poa_bounds
        value_game = p.network.startswith("cfmm")
        vlow, vhigh = result.value_ratio_bounds if value_game else (math.nan, math.nan)
        if p.network == "pigou":
            closed = pigou_poa(p.demand)
        elif p.network == "cfmm_pigou":
            closed = cfmm_pigou_closed_form(
                reserve=p.reserve, link=p.link, eta=p.eta, demand=p.demand
            ).poa
        else:
            closed = math.nan
        names = [e.name or f"e{k}" for k, e in enumerate(game.edges)]
        lead = names.index(LEAD[p.network])
        eq, opt = result.equilibrium.edge_flow, result.optimum.edge_flow
        metrics: dict[str, float | int] = {
            "poa": result.poa,
            "poa_low": low,
            "poa_high": high,
            "poa_closed_form": closed,
            "cost_eq": result.equilibrium.total_cost,
            "cost_opt": result.optimum.total_cost,
            "value_ratio": result.value_ratio if value_game else math.nan,
            "value_ratio_low": vlow,
            "value_ratio_high": vhigh,
            "lead_eq": float(eq[lead]),
            "lead_opt": float(opt[lead]),
            "gap": max(result.equilibrium.gap, result.optimum.gap),
        }
        rows = [
            {"edge": name, "flow_eq": float(eq[k]), "flow_opt": float(opt[k])}
            for k, name in enumerate(names)
        ]
        return GameResult(metrics, "", 0, {"edges": rows})


class CongestionDeviceParams(BaseModel):
    """Users, the demand (a fraction of the shallow pool's reserve), the link's loss, the
    deep pool's depth, the pools' fee and the shallow pool's reserve in base units."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    users: int = Field(20, ge=1, le=500)
    demand: float = Field(1.0, gt=0.0, le=10.0)
    link: float = Field(0.5, gt=0.0, lt=1.0)
    depth: int = Field(10_000, ge=10, le=10**6)
    fee_bps: int = Field(0, ge=0, lt=10_000)
    reserve_units: int = Field(10**12, ge=10**6, le=10**18)


DEVICE_GLOSSARY: Glossary = make_glossary(
    [
        Metric(
            "realised_out",
            "Y base units",
            NON_NEGATIVE,
            "Y the users received on the device, summed.",
            Better.HIGHER,
            True,
        ),
        Metric(
            "wardrop_out",
            "Y base units",
            NON_NEGATIVE,
            "Y the Wardrop equilibrium delivers on the same pools (η = 0).",
            Better.NEITHER,
        ),
        Metric(
            "optimum_out",
            "Y base units",
            NON_NEGATIVE,
            "Y the social optimum delivers on the same pools.",
            Better.NEITHER,
        ),
        Metric(
            "atomic_out",
            "Y base units",
            NON_NEGATIVE,
            "Y the users' pure Nash equilibrium delivers when each pool pays one shared price.",
            Better.NEITHER,
        ),
        Metric(
            "realised_vs_optimum",
            "ratio",
            NON_NEGATIVE,
            "realised_out over optimum_out.",
            Better.HIGHER,
            True,
        ),
        Metric(
            "realised_vs_wardrop",
            "ratio",
            NON_NEGATIVE,
            "realised_out over wardrop_out.",
            Better.NEITHER,
            True,
        ),
        Metric(
            "share_realised",
            "fraction",
            Support(0.0, 1.0),
            "Fraction of X the users sent to the shallow pool.",
            Better.NEITHER,
        ),
        Metric(
            "share_wardrop",
            "fraction",
            Support(0.0, 1.0),
            "The Wardrop equilibrium's fraction to the shallow pool.",
            Better.NEITHER,
        ),
        Metric(
            "share_optimum",
            "fraction",
            Support(0.0, 1.0),
            "The optimum's fraction to the shallow pool.",
            Better.NEITHER,
        ),
    ]
)

LP, X, Y = "lp", "X", "Y"


@register_game
class CongestionDeviceGame:
    """N users route swaps one by one over a shallow and a deep pool on the device."""

    name: ClassVar[str] = "congestion_device"
    Params: ClassVar[type[BaseModel]] = CongestionDeviceParams
    glossary: ClassVar[Glossary] = DEVICE_GLOSSARY

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        p = CongestionDeviceParams.model_validate(params.model_dump())
        r = p.reserve_units
        deep = (p.depth * r, math.floor(p.depth * r * (1.0 - p.link)))
        total = max(p.users, math.floor(p.demand * r))
        chunks = [total // p.users + (1 if i < total % p.users else 0) for i in range(p.users)]
        names = [f"user{i:03d}" for i in range(p.users)]
        fees = dict.fromkeys([LP, *names], 10**18)
        genesis = Genesis(
            assets={
                device.fee_asset: AssetSpec(issuer="treasury", alloc=fees),
                X: AssetSpec(
                    issuer="fed", alloc={LP: r + deep[0], **dict(zip(names, chunks, strict=True))}
                ),
                Y: AssetSpec(issuer="fed", alloc={LP: r + deep[1]}),
            }
        )
        dev = Device(device, genesis, seed=seed)
        checks.check_every_block(dev)
        lp = dev.account(LP)
        pools = []
        for x, y in ((r, r), deep):
            pool = dev.deploy(lp, ProductAMM, X, Y, p.fee_bps)
            added = dev.call(lp, pool, "add_liquidity", 0, LP, value={X: x, Y: y})
            assert added.ok, added.error
            pools.append(pool)
        start = [tuple(dev.view(pool, "reserves")) for pool in pools]
        game = parallel_pools([ProductPool(res, p.fee_bps, (X, Y)) for res in start], X, total, Y)
        atomic = atomic_equilibrium(game, p.users)
        sent = [0, 0]
        rows: list[dict[str, Any]] = []
        batch = device.ordering == "batch"
        for i, (name, amount) in enumerate(zip(names, chunks, strict=True)):
            if batch:  # one block, one price a pool: the atomic game's Nash choice
                k = game.paths[int(atomic.choice[i])][0]
                floor = 0
            else:  # one swap a block: the better quote on the state this user sees
                quotes = [dev.view(pool, "quote", X, amount) for pool in pools]
                k = 0 if quotes[0] >= quotes[1] else 1  # ties go to the shallow pool
                floor = quotes[k]
            tx = dev.sign(
                dev.account(name), pools[k], "swap", X, amount, floor, name, Y, value={X: amount}
            )
            dev.submit(tx)
            if not batch:
                block = dev.build_block()
                assert len(block.receipts) == 1 and block.receipts[0].ok, block.receipts
            sent[k] += amount
            rows.append({"user": name, "pool": k, "amount_in": amount})
        if batch:
            block = dev.build_block()
            assert len(block.receipts) == p.users, block.receipts
            assert all(r.ok for r in block.receipts), [r.error for r in block.receipts]
        for row in rows:
            row["amount_out"] = dev.balance(row["user"], Y)
        realised = sum(dev.balance(name, Y) for name in names)
        result = price_of_anarchy(game)
        price = game.total_demand / total  # Y per X at the best margin (1 without a fee)
        wardrop_out = game.total_demand - result.equilibrium.total_cost
        optimum_out = game.total_demand - result.optimum.total_cost
        metrics: dict[str, float | int] = {
            "realised_out": realised,
            "wardrop_out": wardrop_out,
            "optimum_out": optimum_out,
            "atomic_out": game.total_demand - atomic.total_cost,
            "realised_vs_optimum": realised / optimum_out,
            "realised_vs_wardrop": realised / wardrop_out,
            "share_realised": sent[0] / total,
            "share_wardrop": float(result.equilibrium.edge_flow[0]) / (total * price),
            "share_optimum": float(result.optimum.edge_flow[0]) / (total * price),
        }
        return GameResult(metrics, dev.state_hash().hex(), dev.number, {"swaps": rows})
