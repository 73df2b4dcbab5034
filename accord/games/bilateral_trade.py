"""Bilateral trade with private values: priors × mechanism × bidders, settled on the device.

Each run draws ``draws`` independent pairs (a buyer's value ``v``, a seller's cost ``c``)
from uniform priors, and each pair trades through a fresh
:class:`~accord.contracts.mediator.Mediator` that publishes the mechanism at deployment:
both bidders commit sealed reports (a salted hash and the rule's collateral), then reveal,
and the last reveal settles the rule's exact integer transfers through escrow
(:mod:`accord.mechanisms.bargaining.mediation_rules`), atomically. Values live on the
device in base units: ``scale`` units per value unit, drawn uniformly among the integers
of ``[low·scale, high·scale]``. The bidders (:mod:`accord.agents.bargaining.bidders`) say
the truth or play the mechanism's equilibrium (the double auction's linear bids),
rounded to a unit.

Metrics, realised (per draw, in value units) and in theory (:func:`expected_outcome`
under the continuous priors, for comparison): gains ``(v - c)·trade`` and efficiency
against the first best ``(v - c)⁺`` on the same draws, P(trade), IR violations (draws
leaving a party worse off than not playing, and the mean shortfall), and the budget
deficit (what the mediator's sponsor paid: VCG's subsidy).

On the device the mediator's rules are its own exact versions: the first best splits at
``k = 1/2``; ``second_best`` needs the same interval on both sides and is settled as
the ½-double auction's direct revelation (ex-post IR, Myerson & Satterthwaite 1983 §4),
whose allocation is the library's :class:`~.bilateral.SecondBest` but whose transfers
are not (the library balances interim transfers draw by draw and is only interim IR):
``theory_ir_violation`` is the library's, the realised one the device's. With
``settlement = "off_device"`` the same draws are settled by the library's float rules
instead (any uniform intervals, negative ones included, no rounding).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.agents.bargaining.bidders import Bidder, make_bidder
from accord.contracts.mediator import Mediator
from accord.device import AssetSpec, Device, DeviceConfig, Genesis
from accord.games.base import GameResult, register_game
from accord.games.glossary import NON_NEGATIVE, REAL, UNIT_INTERVAL, Better, Glossary, Metric
from accord.games.glossary import glossary as make_glossary
from accord.mechanisms.bargaining import (
    MECHANISMS,
    FirstBest,
    KDoubleAuction,
    Mechanism,
    PostedPrice,
    Rule,
    UniformPrior,
    best_posted_price,
    bind,
    expected_outcome,
)
from accord.mechanisms.commit_reveal import commitment_hash

MONEY, GOOD = "USD", "GOOD"
BUYER, SELLER, SPONSOR, SINK = "buyer", "seller", "sponsor", "mediator-sink"
GAS = 5_000_000
WINDOW = 4
"""Blocks each mediation leaves for commits, then for reveals."""
MechanismName = Literal[
    "k_double_auction", "posted_price", "second_best", "first_best", "vcg", "agv"
]


class BilateralTradeParams(BaseModel):
    """The bilateral-trade game's parameters (value units unless said otherwise). Counts
    are strict ints: lax pydantic would read ``draws = true`` as 1 draw."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mechanism: MechanismName = "k_double_auction"
    k: float = Field(0.5, ge=0, le=1, allow_inf_nan=False)
    """The double auction's price weight (the first best splits at 1/2 on the device)."""
    price: float | None = Field(None, allow_inf_nan=False)
    """The posted price; None: the gains-maximising price for the priors."""
    buyer_low: float = Field(0.0, allow_inf_nan=False)
    buyer_high: float = Field(1.0, allow_inf_nan=False)
    seller_low: float = Field(0.0, allow_inf_nan=False)
    seller_high: float = Field(1.0, allow_inf_nan=False)
    bidders: Literal["equilibrium", "truthful"] = "equilibrium"
    draws: int = Field(40, ge=1, le=5_000, strict=True)
    scale: int = Field(1_000, ge=10, le=10**9, strict=True)
    """Base units per value unit on the device."""
    settlement: Literal["device", "off_device"] = "device"

    @model_validator(mode="after")
    def _intervals(self) -> BilateralTradeParams:
        for who in ("buyer", "seller"):
            lo, hi = getattr(self, f"{who}_low"), getattr(self, f"{who}_high")
            if not lo < hi:
                raise ValueError(f"{who}_low must be below {who}_high, got [{lo}, {hi}]")
            if self.settlement == "device" and (lo < 0 or hi * self.scale > 2**64):
                raise ValueError(
                    f"on the device {who} values are base units in [0, 2**64]: "
                    f"got [{lo}, {hi}] at scale {self.scale}"
                )
        return self


GLOSSARY: Glossary = make_glossary(
    [
        Metric(
            "gains",
            "value units per draw",
            REAL,
            "Realised gains from trade (v - c)·trade, mean over draws.",
            Better.HIGHER,
        ),
        Metric(
            "first_best_gains",
            "value units per draw",
            NON_NEGATIVE,
            "The first best (v - c)⁺ on the same draws, mean.",
            Better.NEITHER,
        ),
        Metric(
            "efficiency",
            "share",
            REAL,
            "Realised gains over the first-best gains of the same draws.",
            Better.HIGHER,
            True,
        ),
        Metric(
            "p_trade", "share", UNIT_INTERVAL, "Share of draws that traded.", Better.NEITHER, True
        ),
        Metric(
            "ir_violations",
            "draws",
            NON_NEGATIVE,
            "Draws that left the buyer or the seller worse off than not playing.",
            Better.LOWER,
            True,
        ),
        Metric(
            "ir_violation",
            "value units per draw",
            NON_NEGATIVE,
            "Mean ex-post IR shortfall: how much worse than not playing, summed over both parties.",
            Better.LOWER,
        ),
        Metric(
            "deficit",
            "value units per draw",
            REAL,
            "Mean of what the seller got minus what the buyer paid "
            "(> 0: the sponsor paid; < 0: rounding dust kept).",
            Better.LOWER,
            True,
        ),
        Metric(
            "theory_gains",
            "value units per draw",
            REAL,
            "Expected gains under the continuous priors (quadrature).",
            Better.HIGHER,
        ),
        Metric(
            "theory_efficiency",
            "share",
            REAL,
            "Expected efficiency under the continuous priors (quadrature).",
            Better.HIGHER,
        ),
        Metric(
            "theory_p_trade",
            "share",
            UNIT_INTERVAL,
            "Expected P(trade) under the continuous priors (quadrature).",
            Better.NEITHER,
        ),
        Metric(
            "theory_deficit",
            "value units per draw",
            REAL,
            "Expected deficit of the library's rule (quadrature).",
            Better.LOWER,
        ),
        Metric(
            "theory_ir_violation",
            "value units per draw",
            NON_NEGATIVE,
            "Expected ex-post IR shortfall of the library's rule (quadrature; for the "
            "second best its balanced transfers, not the mediator's).",
            Better.LOWER,
        ),
        Metric(
            "on_device",
            "indicator",
            UNIT_INTERVAL,
            "1 if every draw settled through a Mediator on the device.",
            Better.NEITHER,
        ),
    ]
)
"""Every metric the bilateral-trade game reports."""


def mechanism_of(p: BilateralTradeParams, buyer: UniformPrior, seller: UniformPrior) -> Mechanism:
    """The library mechanism the parameters name (the posted price fixed for the priors)."""
    if p.mechanism == "k_double_auction":
        return KDoubleAuction(p.k)
    if p.mechanism == "posted_price":
        return PostedPrice(best_posted_price(buyer, seller) if p.price is None else p.price)
    if p.mechanism == "first_best":
        return FirstBest(0.5)
    return MECHANISMS[p.mechanism]()


def _units(x: float, scale: int) -> int:
    return math.floor(x * scale + 0.5)


def mediation_spec(p: BilateralTradeParams, mech: Mechanism) -> tuple[Any, ...]:
    """The Mediator's published rule for ``mech`` in base units (ValueError if the
    mediator has no exact version of it for these intervals)."""
    s = p.scale
    b = (_units(p.buyer_low, s), _units(p.buyer_high, s))
    c = (_units(p.seller_low, s), _units(p.seller_high, s))
    if p.mechanism == "k_double_auction":
        envelope = (min(b[0], c[0]), max(b[1], c[1]))  # bids and asks are not types
        k = Fraction(p.k).limit_denominator(10**6)
        return ("k_double_auction", envelope, envelope, 1, (k.numerator, k.denominator))
    if p.mechanism == "posted_price":
        assert isinstance(mech, PostedPrice) and mech.price is not None
        return ("posted_price", b, c, 1, max(_units(mech.price, s), 0))
    if p.mechanism == "second_best" and b != c:
        raise ValueError(
            "second_best on the device needs the same buyer and seller interval (the "
            "mediator's exact rule); use settlement = 'off_device' for other intervals"
        )
    return (p.mechanism, b, c, 1)


@register_game
class BilateralTradeGame:
    """A buyer and a seller with private values trade through a mediator, draw by draw."""

    name: ClassVar[str] = "bilateral_trade"
    Params: ClassVar[type[BaseModel]] = BilateralTradeParams
    glossary: ClassVar[Glossary] = GLOSSARY

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        p = BilateralTradeParams.model_validate(params.model_dump())
        return play(p, device, seed)


def play(p: BilateralTradeParams, config: DeviceConfig, seed: int) -> GameResult:
    """One run (module docstring)."""
    buyer = UniformPrior(p.buyer_low, p.buyer_high)
    seller = UniformPrior(p.seller_low, p.seller_high)
    mech = mechanism_of(p, buyer, seller)
    rule = bind(mech, buyer, seller)
    bidders = (make_bidder(p.bidders, "buyer", rule), make_bidder(p.bidders, "seller", rule))
    theory = expected_outcome(mech, buyer, seller)
    rng = np.random.default_rng(seed)
    if p.settlement == "device":
        rows, state_hash, blocks = _on_device(p, mech, bidders, config, seed, rng)
    else:
        rows, state_hash, blocks = _off_device(p, rule, bidders, buyer, seller, rng), "", 0
    gains = [r["gains"] for r in rows]
    best = [max(r["v"] - r["c"], 0.0) for r in rows]
    metrics: dict[str, float | int] = {
        "gains": float(np.mean(gains)),
        "first_best_gains": float(np.mean(best)),
        "efficiency": math.fsum(gains) / math.fsum(best) if math.fsum(best) > 0 else 1.0,
        "p_trade": float(np.mean([r["trade"] for r in rows])),
        "ir_violations": sum(r["buyer_utility"] < 0 or r["seller_utility"] < 0 for r in rows),
        "ir_violation": float(
            np.mean([max(-r["buyer_utility"], 0.0) + max(-r["seller_utility"], 0.0) for r in rows])
        ),
        "deficit": float(np.mean([r["got"] - r["paid"] for r in rows])),
        "theory_gains": theory.gains,
        "theory_efficiency": theory.efficiency,
        "theory_p_trade": theory.p_trade,
        "theory_deficit": theory.deficit,
        "theory_ir_violation": theory.ir_violation,
        "on_device": int(p.settlement == "device"),
    }
    return GameResult(metrics=metrics, state_hash=state_hash, blocks=blocks, tables={"draws": rows})


def _row(
    i: int, v: float, c: float, bid: float, ask: float, trade: bool, paid: float, got: float
) -> dict[str, Any]:
    return {
        "draw": i,
        "v": v,
        "c": c,
        "bid": bid,
        "ask": ask,
        "trade": int(trade),
        "paid": paid,
        "got": got,
        "gains": (v - c) if trade else 0.0,
        "buyer_utility": (v if trade else 0.0) - paid,
        "seller_utility": got - (c if trade else 0.0),
    }


def _off_device(
    p: BilateralTradeParams,
    rule: Rule,
    bidders: tuple[Bidder, Bidder],
    buyer: UniformPrior,
    seller: UniformPrior,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    v = buyer.sample(rng, p.draws)
    c = seller.sample(rng, p.draws)
    bids = np.array([bidders[0].message(float(x)) for x in v])
    asks = np.array([bidders[1].message(float(x)) for x in c])
    out = rule.settle(bids, asks)
    return [
        _row(
            i,
            float(v[i]),
            float(c[i]),
            float(bids[i]),
            float(asks[i]),
            bool(out.trade[i]),
            float(out.buyer_pays[i]),
            float(out.seller_gets[i]),
        )
        for i in range(p.draws)
    ]


def _on_device(
    p: BilateralTradeParams,
    mech: Mechanism,
    bidders: tuple[Bidder, Bidder],
    config: DeviceConfig,
    seed: int,
    rng: np.random.Generator,
) -> tuple[list[dict[str, Any]], str, int]:
    spec = mediation_spec(p, mech)
    (bl, bh), (sl, sh) = spec[1], spec[2]
    subsidy = max(0, bh - sl) if p.mechanism == "vcg" else 0
    purse = 4 * p.draws * max(bh, sh, 1) + 16
    genesis = Genesis(
        assets={
            config.fee_asset: AssetSpec(
                issuer="treasury", alloc=dict.fromkeys((BUYER, SELLER, SPONSOR), 10**18)
            ),
            MONEY: AssetSpec(
                issuer="fed", alloc={BUYER: purse, SELLER: purse, SPONSOR: subsidy * p.draws + 1}
            ),
            GOOD: AssetSpec(issuer="maker", alloc={SELLER: p.draws}),
        },
        accounts=[BUYER, SELLER, SPONSOR, SINK],
    )
    dev = Device(config, genesis, seed=seed)
    acct = {a: dev.account(a) for a in (BUYER, SELLER, SPONSOR)}
    total = sum(dev.balance(a, MONEY) for a in (BUYER, SELLER, SPONSOR, SINK))
    s = p.scale
    b_int = (_units(p.buyer_low, s), _units(p.buyer_high, s))
    c_int = (_units(p.seller_low, s), _units(p.seller_high, s))
    rows = []
    for i in range(p.draws):
        v = int(rng.integers(b_int[0], b_int[1] + 1))
        c = int(rng.integers(c_int[0], c_int[1] + 1))
        reports = {
            BUYER: bidders[0].report(v / s, s, bl, bh),
            SELLER: bidders[1].report(c / s, s, sl, sh),
        }
        salts = {who: rng.bytes(16) for who in reports}
        now = dev.number
        address = dev.deploy(
            acct[SPONSOR],
            Mediator,
            spec,
            (BUYER, SELLER),
            (MONEY, GOOD),
            0,
            now + 1 + WINDOW,
            now + 1 + 2 * WINDOW,
            SINK,
            subsidy,
        )
        for who, report in reports.items():
            h = commitment_hash(report, salts[who], who)
            dev.submit(dev.sign(acct[who], address, "commit", h, gas_limit=GAS))
        dev.build_block()
        for who, report in reports.items():
            dev.submit(dev.sign(acct[who], address, "reveal", report, salts[who], gas_limit=GAS))
        dev.build_block()
        result = dev.view(address, "outcome")
        if result is None:
            raise RuntimeError(
                f"draw {i}: the mediation did not settle ({dev.view(address, 'phase')})"
            )
        label, transfers = result
        paid, got = -transfers[0][0], transfers[1][0]
        rows.append(
            _row(
                i,
                v / s,
                c / s,
                reports[BUYER] / s,
                reports[SELLER] / s,
                label == "trade",
                paid / s,
                got / s,
            )
        )
    after = sum(dev.balance(a, MONEY) for a in (BUYER, SELLER, SPONSOR, SINK))
    if after != total:
        raise RuntimeError(f"money not conserved: {total} before, {after} after")
    return rows, dev.state_hash().hex(), dev.number
