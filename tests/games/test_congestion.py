"""The congestion analysis scenario against the closed forms, and hostile parameters
refused (the device game: tests/games/test_congestion_device.py)."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from accord.device import DeviceConfig
from accord.games.congestion import (
    CongestionGame,
    CongestionParams,
    pigou_poa,
)
from accord.lab.runner import run_sweep
from accord.lab.scenario import load_scenario
from accord.mechanisms.congestion import cfmm_pigou_closed_form

ROOT = Path(__file__).resolve().parents[2]
CONFIG = DeviceConfig(signatures="mac")


def analysis(**params: Any) -> dict[str, float | int]:
    return dict(CongestionGame().run(CongestionParams(**params), CONFIG, 0).metrics)


def test_the_scenario_runs_tiny_and_its_metrics_are_the_closed_forms() -> None:
    """examples/congestion.toml at demand 1, η ∈ {0, 0.5}: Pigou 4/3 (equilibrium cost 1,
    optimum ¾), CFMM Pigou (1 + √2)/2 at η = 0 and 1 at η = ½ (x_eq = 1 − 2η,
    x_opt = √(2(1 − η)) − 1), each inside its certified bracket."""
    scenario = load_scenario(ROOT / "examples" / "congestion.toml")
    chosen = [
        p
        for p in scenario.points
        if p.values["params.demand"] == 1.0
        and p.values["params.eta"] in (0.0, 0.5)
        and p.values["params.network"] in ("pigou", "cfmm_pigou")
    ]
    assert len(chosen) == 4
    sweep = run_sweep(replace(scenario, points=tuple(chosen), replicates=(0,)), workers=1)
    assert not sweep.failed, [o.error for o in sweep.failed]
    seen = {}
    for point, outcome in zip(chosen, sweep.outcomes, strict=True):
        assert outcome.result is not None
        seen[(point.values["params.network"], point.values["params.eta"])] = outcome.result.metrics
    for eta in (0.0, 0.5):
        m = seen[("pigou", eta)]
        assert m["poa"] == pytest.approx(4 / 3, abs=1e-9)
        assert m["cost_eq"] == pytest.approx(1.0, abs=1e-9)
        assert m["cost_opt"] == pytest.approx(0.75, abs=1e-9)
        assert m["lead_eq"] == pytest.approx(1.0, abs=1e-9)
        assert m["lead_opt"] == pytest.approx(0.5, abs=1e-6)
        assert m["poa_low"] <= 4 / 3 <= m["poa_high"] + 1e-12
        assert math.isnan(m["value_ratio"])
    m = seen[("cfmm_pigou", 0.0)]
    assert m["poa"] == pytest.approx((1 + math.sqrt(2)) / 2, abs=1e-9)
    assert m["poa_closed_form"] == pytest.approx((1 + math.sqrt(2)) / 2, rel=1e-15)
    assert m["poa_low"] <= (1 + math.sqrt(2)) / 2 <= m["poa_high"] + 1e-12
    assert m["cost_eq"] == pytest.approx(0.5, abs=1e-9)
    assert m["cost_opt"] == pytest.approx(math.sqrt(2) - 1, abs=1e-9)
    assert m["lead_opt"] == pytest.approx(math.sqrt(2) - 1, abs=1e-6)
    assert m["value_ratio"] == pytest.approx(
        (2 - math.sqrt(2)) / 0.5, abs=1e-9
    )  # (D - C*)/(D - L*)
    half = seen[("cfmm_pigou", 0.5)]
    assert half["poa"] == pytest.approx(1.0, abs=1e-9)
    assert half["lead_eq"] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("eta", [0.0, 0.1, 0.25, 0.4])
@pytest.mark.parametrize("demand", [0.5, 1.0, 2.0])
def test_the_cfmm_pigou_follows_its_closed_form_over_eta_and_demand(
    eta: float, demand: float
) -> None:
    closed = cfmm_pigou_closed_form(eta=eta, demand=demand)
    m = analysis(network="cfmm_pigou", eta=eta, demand=demand)
    assert m["poa"] == pytest.approx(closed.poa, abs=1e-8)
    assert m["cost_eq"] == pytest.approx(closed.cost_eq, abs=1e-8)
    assert m["cost_opt"] == pytest.approx(closed.cost_opt, abs=1e-8)
    assert m["lead_eq"] == pytest.approx(closed.x_eq, abs=1e-5)
    assert m["lead_opt"] == pytest.approx(closed.x_opt, abs=1e-5)
    assert m["poa_low"] - 1e-12 <= closed.poa <= m["poa_high"] + 1e-12


@pytest.mark.parametrize(
    ("demand", "poa"),
    [(0.25, 1.0), (0.5, 1.0), (0.75, 0.5625 / 0.5), (1.0, 4 / 3), (3.0, 3 / 2.75)],
)
def test_pigou_over_demand(demand: float, poa: float) -> None:
    assert pigou_poa(demand) == pytest.approx(poa, rel=1e-15)
    assert analysis(network="pigou", demand=demand)["poa"] == pytest.approx(poa, abs=1e-8)


def test_braess_is_four_thirds_with_everyone_on_the_shortcut() -> None:
    m = analysis(network="braess")
    assert m["poa"] == pytest.approx(4 / 3, abs=1e-9)
    assert m["cost_eq"] == pytest.approx(2.0, abs=1e-9)
    assert m["lead_eq"] == pytest.approx(1.0, abs=1e-9)
    assert m["lead_opt"] == pytest.approx(0.0, abs=1e-5)


BAD: list[dict[str, Any]] = [
    {"network": "nope"},
    {"eta": -0.1},
    {"eta": 1.0},
    {"eta": "big"},
    {"demand": 0.0},
    {"demand": math.inf},
    {"demand": 1e9},
    {"link": 1.0},
    {"reserve": -1.0},
    {"extra": 1},
]


@pytest.mark.parametrize("bad", BAD)
def test_bad_analysis_params_are_refused_by_name(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match=next(iter(bad))):
        CongestionParams(**bad)
