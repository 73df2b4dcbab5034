"""Extortion and commit-not-to-commit, on the device.

Each run plays ``games`` independent extortion games
(:class:`~accord.contracts.extortion.Extortion`) between an ``extorter`` and a
``target``, each endowed with ``wealth`` from a sponsor's pot. The extorter can post a
*binding* threat: pay ``demand`` or suffer ``harm`` (carrying it out costs the extorter
``cost``). The target can *pledge* never to yield to a threat conditioned on its actions
(commit not to commit), after which the device refuses such threats.

``pledge`` says when the target pledges:

* ``none``: never. The extorter threatens with the theory's demand ``h − 1``
  (:func:`~accord.mechanisms.races.extortion`) and the target, best-responding, pays:
  the extorter's commitment pays ``h − 1``.
* ``first``: before any threat. The extorter reads the pledge and does not threaten
  (a threat would be refused; were it accepted it would only cost ``c``): it gains 0.
* ``race``: the pledge and the threat are sent at the same moment and land in the order
  the device's rule and latencies give them. A pledge that lands first defuses the
  threat; one that lands second binds the target not to pay a standing threat, which is
  then carried out (``−c`` and ``−h``): a commitment race of its own.

Metrics are per game, in base units of the pot's asset: each side's gain over no
threat, the rates of threats, payments, carried-out threats and pledges landing first,
and the theory's extorter gain for ``none`` and ``first``.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.contracts.extortion import Extortion
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks
from accord.games.base import GameResult, register_game
from accord.games.glossary import REAL, UNIT_INTERVAL, Better, Glossary, Metric
from accord.games.glossary import glossary as make_glossary
from accord.mechanisms.races import extortion

__all__ = ["ExtortionGame", "ExtortionParams"]

EXTORTER, TARGET, SPONSOR, ASSET = "extorter", "target", "sponsor", "USD"


class ExtortionParams(BaseModel):
    """Wealth, harm and cost (base units), when the target pledges, how many games."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    wealth: int = Field(1_000_000, ge=1, le=10**15)
    harm: int = Field(800_000, ge=2, le=10**15)
    cost: int = Field(300_000, ge=1, le=10**15)
    pledge: Literal["none", "first", "race"] = "none"
    games: int = Field(10, ge=1, le=1_000)

    @model_validator(mode="after")
    def _check(self) -> ExtortionParams:
        if self.harm > self.wealth or self.cost > self.wealth:
            raise ValueError("harm and cost must not exceed wealth")
        return self


GLOSSARY: Glossary = make_glossary(
    [
        Metric(
            "extorter_gain",
            "base units",
            REAL,
            "The extorter's payoff minus its wealth, per game.",
            Better.NEITHER,
            True,
        ),
        Metric(
            "target_gain",
            "base units",
            REAL,
            "The target's payoff minus its wealth, per game.",
            Better.HIGHER,
            True,
        ),
        Metric(
            "threat_rate", "share", UNIT_INTERVAL, "Games with a threat standing.", Better.LOWER
        ),
        Metric(
            "paid_rate", "share", UNIT_INTERVAL, "Games in which the target paid.", Better.LOWER
        ),
        Metric(
            "carried_out_rate",
            "share",
            UNIT_INTERVAL,
            "Games in which a refused threat was carried out.",
            Better.LOWER,
            True,
        ),
        Metric(
            "pledge_first_share",
            "share",
            UNIT_INTERVAL,
            "Games in which the target's pledge landed before any threat.",
            Better.NEITHER,
        ),
        Metric(
            "theory_extorter_gain",
            "base units",
            REAL,
            "The theory's extorter gain: h - 1 without a pledge, 0 with one first "
            "(NaN when pledge and threat race).",
            Better.NEITHER,
        ),
    ]
)


def _play(dev: Device, p: ExtortionParams, rng: np.random.Generator) -> dict[str, int]:
    """One game; returns the payoffs and what happened."""
    now = dev.number + 1
    threat_end, pay_end = now + 4, now + 6
    sponsor = dev.account(SPONSOR)
    game = dev.deploy(
        sponsor, Extortion, ASSET, EXTORTER, TARGET, p.wealth, p.harm, p.cost, threat_end, pay_end
    )
    assert dev.call(sponsor, game, "fund", value={ASSET: 2 * p.wealth}).ok
    demand = extortion(p.harm, p.cost, committed=True, pledged=False).demand
    extorter, target = dev.account(EXTORTER), dev.account(TARGET)
    if p.pledge == "first":
        assert dev.call(target, game, "pledge").ok
    if p.pledge == "race":
        txs = [dev.sign(target, game, "pledge"), dev.sign(extorter, game, "threaten", demand)]
        for k in rng.permutation(2):
            dev.submit(txs[int(k)])
        block = dev.build_block()
        done = {tx.hash: r for tx, r in zip(block.transactions, block.receipts, strict=True)}
        assert all(tx.hash in done for tx in txs), "a racing transaction missed its block"
        pledged_first = not done[txs[1].hash].ok
    else:
        pledged, _, _, _ = dev.view(game, "status")
        if not pledged:  # a pledge leaves nothing to gain: no threat
            assert dev.call(extorter, game, "threaten", demand).ok
        pledged_first = bool(pledged)
    pledged, standing, _, _ = dev.view(game, "status")
    if standing and not pledged and standing < p.harm:  # yield: paying costs less than harm
        assert dev.call(target, game, "pay").ok
    while dev.number <= pay_end:
        dev.build_block()
    settled = dev.call(sponsor, game, "settle")
    assert settled.ok, settled.error
    pay = settled.result
    assert isinstance(pay, tuple)
    _, _, paid, _ = dev.view(game, "status")
    return {
        "extorter": pay[0],
        "target": pay[1],
        "threat": int(bool(standing)),
        "paid": int(paid),
        "carried_out": int(bool(standing) and not paid),
        "pledge_first": int(pledged_first and p.pledge != "none"),
    }


@register_game
class ExtortionGame:
    """A binding threat against a target that may pledge never to yield."""

    name: ClassVar[str] = "extortion"
    Params: ClassVar[type[BaseModel]] = ExtortionParams
    glossary: ClassVar[Glossary] = GLOSSARY

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        p = ExtortionParams.model_validate(params.model_dump())
        rng = np.random.default_rng(seed)
        people = (SPONSOR, EXTORTER, TARGET)
        genesis = Genesis(
            assets={
                device.fee_asset: AssetSpec(issuer="treasury", alloc=dict.fromkeys(people, 10**18)),
                ASSET: AssetSpec(issuer="mint", alloc={SPONSOR: 2 * p.wealth * p.games}),
            }
        )
        dev = Device(device, genesis, seed=seed)
        checks.check_every_block(dev)
        rows = [{"game": k + 1, **_play(dev, p, rng)} for k in range(p.games)]
        n = p.games

        def mean(key: str) -> float:
            return float(sum(r[key] for r in rows)) / n

        theory = (
            float("nan")
            if p.pledge == "race"
            else float(
                extortion(p.harm, p.cost, committed=True, pledged=p.pledge == "first").extorter_gain
            )
        )
        metrics: dict[str, float | int] = {
            "extorter_gain": mean("extorter") - p.wealth,
            "target_gain": mean("target") - p.wealth,
            "threat_rate": mean("threat"),
            "paid_rate": mean("paid"),
            "carried_out_rate": mean("carried_out"),
            "pledge_first_share": mean("pledge_first"),
            "theory_extorter_gain": theory,
        }
        return GameResult(metrics, dev.state_hash().hex(), dev.number, {"games": rows})
