"""Futarchy: traders with beliefs decide a proposal; a manipulator pays to push it.

A :class:`~accord.contracts.futarchy.DecisionMarket` asks "is the metric met?" under
PASS and under FAIL. The truth is ``P(yes | PASS) = p_pass`` and
``P(yes | FAIL) = p_fail``. Each of ``informed`` traders believes each of them up to
Gaussian noise (``belief_noise``), splits its ``informed_capital`` into PASS and FAIL
tokens, and every block trades myopically towards its belief in each branch: it places a
limit order (:meth:`~accord.contracts.futarchy.DecisionMarket.buy_to_price`) for YES up
to its belief, or for NO down to it, with everything it has left in that branch
(Hanson's myopic LMSR trader: move the price to your belief, as far as your budget
goes). Orders are submitted in a seeded random order each block.

A **manipulator** with ``manipulator_capital`` wants the option the beliefs disfavour.
Every block of the TWAP window it spends an even share of what it has left pushing the
favoured branch's YES price down to ``push`` (buying NO there) and the other branch's up
to ``1 − push`` (buying YES). What it buys in the branch that ends up not taken is
undone in value; what it buys in the branch taken is a bad bet at the true odds, which
the informed traders take the other side of. The decision follows the MetaDAO TWAP rule
with ``threshold_bps``; the metric is then drawn from the truth of the branch taken and
settled by three jurors through the :class:`~accord.contracts.schelling.SchellingOracle`.

Metrics: ``decision`` (1 = PASS), ``favoured`` (1 if the traders' mean beliefs favour
PASS under the rule), ``correct``; the two TWAPs (fractions); ``metric`` (1 = met);
realised P&L in collateral base units of the manipulator, the informed traders (sum)
and the sponsor; and the manipulator's *expected* P&L at the true odds of the branch
taken (its holdings valued at ``p``, less what it put in), which does not depend on the
metric's draw. :func:`manipulation_sweep` finds the capital at which the decision flips.
"""

from __future__ import annotations

import json
import sys
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from accord.contracts.conditional_tokens import BRANCHES, FAIL, NO, PASS, YES
from accord.contracts.futarchy import DecisionMarket
from accord.contracts.schelling import SchellingOracle
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks
from accord.games.base import GameResult, register_game
from accord.games.glossary import (
    NON_NEGATIVE,
    REAL,
    UNIT_INTERVAL,
    Better,
    Glossary,
    Metric,
    glossary,
)
from accord.mechanisms import lmsr
from accord.mechanisms.commit_reveal import commitment_hash

COLLATERAL = "USD"
GAS = 1_000_000
JURORS = ("juror0", "juror1", "juror2")
JUROR_STAKE = 100


class FutarchyParams(BaseModel):
    """The futarchy game's parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    informed: int = Field(5, ge=1, le=200)
    informed_capital: int = Field(20_000, ge=1)
    """Collateral of each informed trader (base units)."""
    p_pass: float = Field(0.65, gt=0, lt=1)
    p_fail: float = Field(0.45, gt=0, lt=1)
    belief_noise: float = Field(0.05, ge=0, le=0.5)
    b: int = Field(10_000, ge=1)
    window_blocks: int = Field(20, ge=1, le=10_000)
    threshold_bps: int = Field(0, ge=0, le=10_000)
    manipulator_capital: int = Field(0, ge=0)
    push: float = Field(0.05, gt=0, lt=0.5)
    """The YES price the manipulator aims for in the branch it wants to lose."""


GLOSSARY: Glossary = glossary(
    [
        Metric(
            "decision", "indicator", UNIT_INTERVAL, "1 if the market decided PASS.", Better.NEITHER
        ),
        Metric(
            "favoured",
            "indicator",
            UNIT_INTERVAL,
            "1 if the informed traders' mean beliefs favour PASS under the decision rule.",
            Better.NEITHER,
        ),
        Metric(
            "correct",
            "indicator",
            UNIT_INTERVAL,
            "1 if the decision is the one the traders' beliefs favour (manipulation failed).",
            Better.HIGHER,
            True,
        ),
        Metric(
            "twap_pass",
            "price",
            UNIT_INTERVAL,
            "Time-weighted YES price under PASS over the decision window.",
            Better.NEITHER,
        ),
        Metric(
            "twap_fail",
            "price",
            UNIT_INTERVAL,
            "Time-weighted YES price under FAIL over the decision window.",
            Better.NEITHER,
        ),
        Metric(
            "metric", "indicator", UNIT_INTERVAL, "1 if the metric turned out met.", Better.NEITHER
        ),
        Metric(
            "manipulator_pnl",
            "collateral base units",
            REAL,
            "The manipulator's realised profit.",
            Better.LOWER,
            True,
        ),
        Metric(
            "manipulator_expected_pnl",
            "collateral base units",
            REAL,
            "The manipulator's profit expected at the true odds of the branch taken.",
            Better.LOWER,
        ),
        Metric(
            "informed_pnl",
            "collateral base units",
            REAL,
            "The informed traders' realised profit, summed.",
            Better.HIGHER,
        ),
        Metric(
            "informed_expected_pnl",
            "collateral base units",
            REAL,
            "The informed traders' profit expected at the true odds, summed.",
            Better.HIGHER,
        ),
        Metric(
            "sponsor_pnl",
            "collateral base units",
            REAL,
            "The sponsor's profit: minus the subsidy it spent.",
            Better.NEITHER,
        ),
        Metric(
            "collateral_left_in_market",
            "collateral base units",
            NON_NEGATIVE,
            "Collateral still held by the market after everyone redeemed.",
            Better.NEITHER,
        ),
    ]
)
"""Every metric the futarchy game reports."""


@register_game
class FutarchyGame:
    """Informed traders and a manipulator trade a decision market to its decision."""

    name: ClassVar[str] = "futarchy"
    Params: ClassVar[type[BaseModel]] = FutarchyParams
    glossary: ClassVar[Glossary] = GLOSSARY

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        p = FutarchyParams.model_validate(params.model_dump())
        return _play(p, device, seed)


def _play(p: FutarchyParams, config: DeviceConfig, seed: int) -> GameResult:
    rng = np.random.default_rng(seed)
    traders = [f"trader{i:03d}" for i in range(p.informed)]
    truth = {PASS: p.p_pass, FAIL: p.p_fail}
    beliefs = {
        t: {
            br: float(np.clip(truth[br] + rng.normal(0, p.belief_noise), 0.02, 0.98))
            for br in BRANCHES
        }
        for t in traders
    }
    subsidy = lmsr.subsidy(p.b, 2)
    capital = dict.fromkeys(traders, p.informed_capital)
    capital["manipulator"] = p.manipulator_capital
    capital["sponsor"] = subsidy
    capital.update(dict.fromkeys(JURORS, JUROR_STAKE))
    everyone = sorted(capital)
    genesis = Genesis(
        assets={
            config.fee_asset: AssetSpec(issuer="treasury", alloc=dict.fromkeys(everyone, 10**18)),
            COLLATERAL: AssetSpec(issuer="fed", alloc={a: c for a, c in capital.items() if c}),
        },
        accounts=everyone,
    )
    dev = Device(config, genesis, seed=seed)
    checks.check_every_block(dev)
    acct = {a: dev.account(a) for a in everyone}

    def send(
        who: str, to: str, method: str, *args: Any, value: dict[str, int] | None = None
    ) -> None:
        dev.submit(dev.sign(acct[who], to, method, *args, value=value, gas_limit=GAS))

    oracle = dev.deploy(
        acct["sponsor"],
        SchellingOracle,
        COLLATERAL,
        "sponsor",
        3 * JUROR_STAKE,
        JUROR_STAKE,
        1_000,
        2_000,
        4,
        4,
    )
    market = dev.deploy(
        acct["sponsor"],
        DecisionMarket,
        COLLATERAL,
        "P",
        p.b,
        1,
        p.window_blocks,
        p.threshold_bps,
        "Is the metric met a quarter after the decision?",
        oracle,
        "",
        value={COLLATERAL: subsidy},
    )
    for who in [*traders, "manipulator"]:
        if capital[who]:
            send(who, market, "split", capital[who], value={COLLATERAL: capital[who]})
    dev.build_block()
    mean = {br: float(np.mean([beliefs[t][br] for t in traders])) for br in BRANCHES}
    favoured = PASS if mean[PASS] * 10_000 > mean[FAIL] * (10_000 + p.threshold_bps) else FAIL
    end = dev.view(market, "status")[3]
    while dev.number < end - 1:
        prices = {br: dev.view(market, "price", br) / lmsr.PRICE_SCALE for br in BRANCHES}
        orders: list[tuple[str, str, str, int]] = []
        for t in traders:
            for br in BRANCHES:
                belief = beliefs[t][br]
                outcome, level = (YES, belief) if prices[br] < belief else (NO, 1 - belief)
                orders.append((t, br, outcome, round(level * lmsr.PRICE_SCALE)))
        left = end - 1 - dev.number
        for br in BRANCHES:
            have = dev.balance("manipulator", f"P-{br}")
            if have >= left:
                outcome = NO if br == favoured else YES
                orders.append(("manipulator", br, outcome, round((1 - p.push) * lmsr.PRICE_SCALE)))
        for k in rng.permutation(len(orders)):
            who, br, outcome, level = orders[int(k)]
            have = dev.balance(who, f"P-{br}")
            if have <= 0:
                continue
            spend = have if who != "manipulator" else have // left
            send(who, market, "buy_to_price", br, outcome, level, spend, value={f"P-{br}": have})
        dev.build_block()
    while dev.number < end:
        dev.build_block()
    decision = _call(dev, acct["sponsor"], market, "decide")
    met = bool(rng.random() < truth[decision])
    answer = "yes" if met else "no"
    expected = {w: _expected_value(dev, market, w, decision, truth[decision]) for w in everyone}
    qid = dev.contract_at(market).storage()["question_id"]
    salt = b"futarchy-juror-salt"
    for j in JURORS:
        send(j, oracle, "commit", qid, commitment_hash(answer, salt, j), JUROR_STAKE)
    dev.build_block()
    while dev.number <= dev.view(oracle, "question", qid)[3]:
        dev.build_block()
    for j in JURORS:
        send(j, oracle, "reveal", qid, answer, salt)
    dev.build_block()
    while dev.number <= dev.view(oracle, "question", qid)[4]:
        dev.build_block()
    _call(dev, acct["sponsor"], oracle, "resolve", qid)
    _call(dev, acct["sponsor"], market, "settle_metric")
    for who in everyone:
        held = {
            f"P-{br}{s}": dev.balance(who, f"P-{br}{s}")
            for br in BRANCHES
            for s in ("", "-YES", "-NO")
            if dev.balance(who, f"P-{br}{s}")
        }
        if held:
            send(who, market, "redeem", value=held)
    dev.build_block()
    _call(dev, acct["sponsor"], market, "close")
    pnl = {w: dev.balance(w, COLLATERAL) - capital[w] for w in everyone}
    twaps = dev.contract_at(market).storage()["twaps"]
    window = p.window_blocks
    metrics: dict[str, float | int] = {
        "decision": int(decision == PASS),
        "favoured": int(favoured == PASS),
        "correct": int(decision == favoured),
        "twap_pass": twaps[PASS][0] / window / lmsr.PRICE_SCALE,
        "twap_fail": twaps[FAIL][0] / window / lmsr.PRICE_SCALE,
        "metric": int(met),
        "manipulator_pnl": pnl["manipulator"],
        "manipulator_expected_pnl": round(expected["manipulator"] - capital["manipulator"], 6),
        "informed_pnl": sum(pnl[t] for t in traders),
        "informed_expected_pnl": round(sum(expected[t] - capital[t] for t in traders), 6),
        "sponsor_pnl": pnl["sponsor"],
        "collateral_left_in_market": dev.balance(market, COLLATERAL),
    }
    rows = [
        {"trader": t, **{f"belief_{br.lower()}": beliefs[t][br] for br in BRANCHES}, "pnl": pnl[t]}
        for t in traders
    ]
    return GameResult(
        metrics=metrics,
        state_hash=dev.state_hash().hex(),
        blocks=dev.number,
        tables={"traders": rows},
    )


def _call(dev: Device, account: Any, to: str, method: str, *args: Any) -> Any:
    receipt = dev.call(account, to, method, *args, gas_limit=GAS)
    if not receipt.ok:
        raise RuntimeError(f"{method} failed: {receipt.error}")
    return receipt.result


def _expected_value(dev: Device, market: str, who: str, taken: str, p_yes: float) -> float:
    """``who``'s collateral plus its tokens valued at the true odds of the branch taken."""
    value = float(dev.balance(who, COLLATERAL))
    value += dev.balance(who, f"P-{taken}")
    value += dev.balance(who, f"P-{taken}-YES") * p_yes
    value += dev.balance(who, f"P-{taken}-NO") * (1 - p_yes)
    return value


def manipulation_sweep(
    params: FutarchyParams,
    multiples: list[float],
    seed: int = 0,
    config: DeviceConfig | None = None,
) -> dict[str, Any]:
    """Run the game with the manipulator's capital at each multiple of the informed
    traders' total capital; report each run and the smallest multiple that flips the
    decision away from what the beliefs favour (``None`` if none does)."""
    total = params.informed * params.informed_capital
    runs = []
    flip: float | None = None
    for m in multiples:
        p = params.model_copy(update={"manipulator_capital": int(m * total)})
        r = _play(p, config or DeviceConfig(ordering="fcfs"), seed)
        runs.append({"multiple": m, "capital": p.manipulator_capital, **r.metrics})
        if flip is None and not r.metrics["correct"]:
            flip = m
    return {"informed_capital": total, "flip_multiple": flip, "runs": runs}


if __name__ == "__main__":  # python -m accord.games.futarchy [seed]
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    sweep = manipulation_sweep(FutarchyParams(), [0, 0.25, 0.5, 1, 2, 4, 8], seed)
    for run in sweep["runs"]:
        print(
            {
                k: run[k]
                for k in (
                    "multiple",
                    "decision",
                    "twap_pass",
                    "twap_fail",
                    "manipulator_expected_pnl",
                )
            }
        )
    print(
        json.dumps(
            {"informed_capital": sweep["informed_capital"], "flip_multiple": sweep["flip_multiple"]}
        )
    )
