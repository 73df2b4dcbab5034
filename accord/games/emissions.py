"""Credit by emissions: a forecaster that starves its contributors loses future emissions.

Two forecasters, ``honest`` and ``colluder``, each rely on ``contributors`` contributors
of their own, and an :class:`~accord.contracts.emissions.Emissions` contract pays them
``budget`` per epoch by their quadratic-score improvement over chance.

* **The world.** Each epoch has ``questions`` binary questions; question ``k`` has a
  chance ``θₖ ~ U(0.05, 0.95)`` and its outcome is ``yₖ ~ Bernoulli(θₖ)`` (seeded).
* **Work.** Contributor ``j`` with effort ``eⱼ ∈ [0, 1]`` reports ``θₖ + N(0, σ²/eⱼ)``
  for every question (nothing at effort 0). A forecaster pools its contributors'
  reports by precision around a prior of ½ with precision ``τ₀`` (the posterior mean
  of a normal model): ``f = (τ₀ ½ + Σ (eⱼ/σ²) sⱼ) / (τ₀ + Σ eⱼ/σ²)``, clipped to
  ``[0.01, 0.99]``. More paid effort, sharper forecasts.
* **Pay drives effort.** A contributor works as far as it is paid: after an epoch in
  which it received ``r`` of the emission asset, its effort moves towards
  ``min(1, r / effort_cost)`` at rate ``adjust``:
  ``e ← (1 − adjust) e + adjust · min(1, r / effort_cost)``. Everyone starts at 1.
* **Streams.** The honest forecaster streams ``stream_bps`` of what it receives,
  split evenly over its contributors, and keeps the rest. The colluder streams the same
  ``stream_bps`` to a ``crony`` who does no work (and may hand it back off the
  books: the colluder's *take* counts the crony's receipts as its own). A stream back
  from the crony to the colluder would be a cycle, which the contract refuses.

The central claim, measured: the colluder's take beats the honest forecaster's
at first (it keeps what it should have paid), but its unpaid contributors stop working,
its forecasts lose their edge, and its emissions and take fall below the honest
forecaster's: ``crossover_epoch`` is the first epoch from which its cumulative take
stays below the honest forecaster's cumulative take. With ``collude = false`` both
forecasters stream honestly (the control).
"""

from __future__ import annotations

import json
import sys
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from accord.contracts.emissions import Emissions
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks
from accord.games.base import GameResult, register_game
from accord.games.glossary import (
    NON_NEGATIVE,
    UNIT_INTERVAL,
    Better,
    Glossary,
    Metric,
    Support,
    glossary,
)
from accord.mechanisms.scoring import PPM
from accord.mechanisms.streams import BPS

ASSET = "EMIT"
GAS = 5_000_000


class EmissionsParams(BaseModel):
    """The emissions game's parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    epochs: int = Field(12, ge=1, le=1_000)
    questions: int = Field(200, ge=1, le=1_000)
    contributors: int = Field(3, ge=1, le=50)
    budget: int = Field(1_000_000, ge=1)
    stream_bps: int = Field(6_000, ge=1, le=BPS)
    effort_cost: int = Field(60_000, ge=1)
    """What a contributor must receive in an epoch to work fully the next."""
    adjust: float = Field(0.5, gt=0, le=1)
    noise: float = Field(0.2, gt=0)
    """σ: a full-effort contributor's noise on θ."""
    prior_precision: float = Field(4.0, gt=0)
    collude: bool = True


GLOSSARY: Glossary = glossary(
    [
        Metric(
            "honest_emitted",
            "EMIT base units",
            NON_NEGATIVE,
            "Emissions the contract paid the honest forecaster over the run.",
            Better.NEITHER,
        ),
        Metric(
            "colluder_emitted",
            "EMIT base units",
            NON_NEGATIVE,
            "Emissions the contract paid the colluding forecaster over the run.",
            Better.LOWER,
        ),
        Metric(
            "honest_take",
            "EMIT base units",
            NON_NEGATIVE,
            "What the honest forecaster kept after streaming to its contributors.",
            Better.HIGHER,
            True,
        ),
        Metric(
            "colluder_take",
            "EMIT base units",
            NON_NEGATIVE,
            "What the colluder kept, its crony's receipts included.",
            Better.LOWER,
            True,
        ),
        Metric(
            "colluder_take_first_epoch",
            "EMIT base units",
            NON_NEGATIVE,
            "The colluder's take in the first epoch, before its contributors slack.",
            Better.NEITHER,
        ),
        Metric(
            "honest_take_first_epoch",
            "EMIT base units",
            NON_NEGATIVE,
            "The honest forecaster's take in the first epoch.",
            Better.NEITHER,
        ),
        Metric(
            "colluder_emitted_late",
            "EMIT base units",
            NON_NEGATIVE,
            "Emissions paid to the colluder in the second half of the epochs.",
            Better.LOWER,
        ),
        Metric(
            "honest_emitted_late",
            "EMIT base units",
            NON_NEGATIVE,
            "Emissions paid to the honest forecaster in the second half of the epochs.",
            Better.NEITHER,
        ),
        Metric(
            "colluder_brier_last",
            "Brier score",
            UNIT_INTERVAL,
            "The colluder's mean squared forecast error in the last epoch.",
            Better.NEITHER,
        ),
        Metric(
            "honest_brier_last",
            "Brier score",
            UNIT_INTERVAL,
            "The honest forecaster's mean squared forecast error in the last epoch.",
            Better.LOWER,
        ),
        Metric(
            "colluder_effort_last",
            "effort",
            UNIT_INTERVAL,
            "Mean effort of the colluder's contributors in the last epoch.",
            Better.NEITHER,
        ),
        Metric(
            "crossover_epoch",
            "epoch",
            Support(-1.0),
            "First epoch from which the colluder's cumulative take stays below the honest "
            "one's; -1 if never.",
            Better.NEITHER,
            True,
        ),
        Metric(
            "minted",
            "EMIT base units",
            NON_NEGATIVE,
            "Emission asset in existence.",
            Better.NEITHER,
        ),
    ]
)
"""Every metric the emissions game reports."""


@register_game
class EmissionsGame:
    """An honest and a colluding forecaster paid by score, streaming to contributors."""

    name: ClassVar[str] = "emissions"
    Params: ClassVar[type[BaseModel]] = EmissionsParams
    glossary: ClassVar[Glossary] = GLOSSARY

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        p = EmissionsParams.model_validate(params.model_dump())
        return _play(p, device, seed)


def _play(p: EmissionsParams, config: DeviceConfig, seed: int) -> GameResult:
    rng = np.random.default_rng(seed)
    forecasters = ("honest", "colluder")
    team = {f: [f"{f}-c{j}" for j in range(p.contributors)] for f in forecasters}
    workers = [c for f in forecasters for c in team[f]]
    everyone = sorted(["jury", "dao", "crony", *forecasters, *workers])
    genesis = Genesis(
        assets={
            config.fee_asset: AssetSpec(issuer="treasury", alloc=dict.fromkeys(everyone, 10**18))
        },
        accounts=everyone,
    )
    dev = Device(config, genesis, seed=seed)
    checks.check_every_block(dev)
    acct = {a: dev.account(a) for a in everyone}

    def send(who: str, method: str, *args: Any) -> None:
        dev.submit(dev.sign(acct[who], contract, method, *args, gas_limit=GAS))

    contract = dev.deploy(acct["dao"], Emissions, ASSET, p.budget, p.questions, "jury")
    for f in forecasters:
        send(f, "register")
        if f == "colluder" and p.collude:
            send(f, "set_stream", (("crony", p.stream_bps),))
        else:
            send(f, "set_stream", _even_stream(team[f], p.stream_bps))
    dev.build_block()

    effort = dict.fromkeys(workers, 1.0)
    rows: list[dict[str, Any]] = []
    take = {f: 0 for f in forecasters}
    cumulative: dict[str, list[int]] = {f: [] for f in forecasters}
    for epoch in range(p.epochs):
        theta = rng.uniform(0.05, 0.95, size=p.questions)
        outcomes = rng.random(p.questions) < theta
        reports = {
            c: theta + rng.normal(0.0, p.noise, size=p.questions) / np.sqrt(max(effort[c], 1e-12))
            for c in workers
        }
        forecasts: dict[str, np.ndarray[Any, np.dtype[np.float64]]] = {}
        for f in forecasters:
            weight = np.array([effort[c] / p.noise**2 for c in team[f]])
            pooled = p.prior_precision * 0.5 + sum(
                w * reports[c] for w, c in zip(weight, team[f], strict=True)
            )
            forecasts[f] = np.clip(pooled / (p.prior_precision + weight.sum()), 0.01, 0.99)
            send(f, "forecast", epoch, tuple(round(float(x) * PPM) for x in forecasts[f]))
        dev.build_block()
        before = {a: dev.balance(a, ASSET) for a in everyone}
        send("jury", "resolve", epoch, tuple(bool(y) for y in outcomes))
        block = dev.build_block()
        if not block.receipts[0].ok:
            raise RuntimeError(f"epoch {epoch} failed to settle: {block.receipts[0].error}")
        got = {a: dev.balance(a, ASSET) - before[a] for a in everyone}
        worked = {f: float(np.mean([effort[c] for c in team[f]])) for f in forecasters}
        for c in workers:
            paid = min(1.0, got[c] / p.effort_cost)
            effort[c] = (1 - p.adjust) * effort[c] + p.adjust * paid
        row: dict[str, Any] = {"epoch": epoch}
        for f in forecasters:
            score, emitted, _ = dev.view(contract, "result", epoch, f)
            mine = got[f] + (got["crony"] if f == "colluder" else 0)
            take[f] += mine
            cumulative[f].append(take[f])
            brier = float(np.mean((forecasts[f] - outcomes) ** 2))
            row |= {
                f"{f}_score": score / PPM**2,
                f"{f}_emitted": emitted,
                f"{f}_take": mine,
                f"{f}_brier": brier,
                f"{f}_effort": worked[f],
            }
        rows.append(row)

    crossover = _crossover(cumulative["colluder"], cumulative["honest"])
    last = rows[-1]
    half = max(1, p.epochs // 2)
    metrics: dict[str, float | int] = {
        "honest_emitted": sum(r["honest_emitted"] for r in rows),
        "colluder_emitted": sum(r["colluder_emitted"] for r in rows),
        "honest_take": take["honest"],
        "colluder_take": take["colluder"],
        "colluder_take_first_epoch": rows[0]["colluder_take"],
        "honest_take_first_epoch": rows[0]["honest_take"],
        "colluder_emitted_late": sum(r["colluder_emitted"] for r in rows[half:]),
        "honest_emitted_late": sum(r["honest_emitted"] for r in rows[half:]),
        "colluder_brier_last": last["colluder_brier"],
        "honest_brier_last": last["honest_brier"],
        "colluder_effort_last": last["colluder_effort"],
        "crossover_epoch": crossover,
        "minted": dev.supply(ASSET),
    }
    return GameResult(
        metrics=metrics,
        state_hash=dev.state_hash().hex(),
        blocks=dev.number,
        tables={"epochs": rows},
    )


def _even_stream(people: list[str], bps: int) -> tuple[tuple[str, int], ...]:
    """``bps`` split over ``people`` as evenly as integers allow (earlier ones +1)."""
    base, extra = divmod(bps, len(people))
    return tuple(sorted((c, base + (1 if j < extra else 0)) for j, c in enumerate(people)))


def _crossover(colluder: list[int], honest: list[int]) -> int:
    """The first epoch from which the colluder's cumulative take stays below the honest
    forecaster's for good; ``-1`` if it never does."""
    for e in range(len(colluder)):
        if all(c < h for c, h in zip(colluder[e:], honest[e:], strict=True)):
            return e
    return -1


if __name__ == "__main__":  # python -m accord.games.emissions [seed]
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    result = EmissionsGame().run(EmissionsParams(), DeviceConfig(), seed)
    for row in result.tables["epochs"]:
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()})
    print(json.dumps(dict(result.metrics)))
