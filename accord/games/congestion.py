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
* ``congestion_device`` plays the CFMM Pigou on the device, with slippage limits and a
  sandwicher: :mod:`accord.games.congestion_device` (re-exported here).
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from accord.device import DeviceConfig
from accord.games.base import GameResult, register_game
from accord.games.congestion_device import CongestionDeviceGame, CongestionDeviceParams
from accord.games.glossary import NON_NEGATIVE, Better, Glossary, Metric, Support
from accord.games.glossary import glossary as make_glossary
from accord.mechanisms.congestion import (
    Game,
    braess,
    cfmm_braess,
    cfmm_pigou,
    cfmm_pigou_closed_form,
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
