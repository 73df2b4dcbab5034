"""The congestion scenarios: the analysis game against the closed forms, the device game
against the game's predictions, and hostile parameters refused."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from accord.device import DeviceConfig
from accord.games.congestion import (
    CongestionDeviceGame,
    CongestionDeviceParams,
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


def device(**params: Any) -> dict[str, float | int]:
    result = CongestionDeviceGame().run(CongestionDeviceParams(**params), CONFIG, 3)
    return dict(result.metrics)


def test_one_user_realises_wardrop_and_many_the_optimum() -> None:
    """One user sends all to the shallow pool (it quotes ½ against the deep pool's ½:
    Wardrop's split, output R/2 exactly); sequential users each pay the marginal price
    they cause, so the realised output approaches the optimum's, never above it."""
    one = device(users=1)
    assert one["realised_out"] == 500_000_000_000 == one["wardrop_out"]
    assert one["share_realised"] == 1.0 == one["share_wardrop"]
    previous = one["realised_vs_optimum"]
    for users, within in ((5, 2e-4), (80, 5e-6)):
        m = device(users=users)
        assert 1 - within < m["realised_vs_optimum"] <= 1.0
        assert m["realised_vs_optimum"] > previous
        assert m["realised_vs_wardrop"] > 1.17  # the optimum's (√2 − 1)-ish split: +17%
        assert abs(m["share_realised"] - m["share_optimum"]) <= 1 / users
        previous = m["realised_vs_optimum"]
    assert m["share_optimum"] == pytest.approx(math.sqrt(2) - 1, abs=1e-3)  # a deep link


def test_a_batch_realises_the_atomic_equilibrium_and_tends_to_wardrop() -> None:
    """Under batch ordering each pool clears at one price, every user of it pays its
    average price, and the device pays out the atomic Nash equilibrium's output (to the
    integer rounding of the pro-rata split); at demand 1 that is Wardrop's, exactly
    R/2, and at demand 2 it nears Wardrop's as the users multiply."""
    batch = DeviceConfig(signatures="mac", ordering="batch")
    for users in (5, 20):
        m = CongestionDeviceGame().run(CongestionDeviceParams(users=users), batch, 1).metrics
        assert m["realised_out"] == 500_000_000_000 == m["wardrop_out"] == m["atomic_out"]
        assert m["realised_vs_optimum"] == pytest.approx(1 / (4 - 2 * math.sqrt(2)), rel=1e-4)
    ratios = []
    for users in (5, 20):
        params = CongestionDeviceParams(users=users, demand=2.0)
        m = CongestionDeviceGame().run(params, batch, 1).metrics
        assert abs(m["realised_out"] - m["atomic_out"]) <= users
        ratios.append(m["realised_vs_wardrop"])
        sequential = CongestionDeviceGame().run(params, CONFIG, 1).metrics
        assert sequential["realised_out"] > m["realised_out"]
        assert sequential["realised_vs_optimum"] > 0.9999
    assert ratios[0] > ratios[1] > 1.0 and ratios[1] < 1.0001


def test_the_device_run_is_deterministic_and_conserves_money() -> None:
    game, params = CongestionDeviceGame(), CongestionDeviceParams(users=7, demand=0.7)
    a, b = game.run(params, CONFIG, 5), game.run(params, CONFIG, 5)
    assert a.state_hash == b.state_hash and a.metrics == b.metrics
    swaps = a.tables["swaps"]
    assert sum(r["amount_in"] for r in swaps) == math.floor(0.7 * 10**12)
    assert sum(r["amount_out"] for r in swaps) == a.metrics["realised_out"]
    assert a.blocks >= 7


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


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["users", "demand", "link", "depth", "fee_bps", "reserve_units"]),
    st.one_of(
        st.integers(-(10**30), -1),
        st.integers(10**19, 10**30),
        st.floats(max_value=-1e-300),
        st.floats(min_value=1e19),
        st.sampled_from([math.nan, math.inf, -math.inf]),
        st.text(alphabet="abc xyz", max_size=3),
        st.none(),
    ),
)
def test_hostile_device_params_are_refused(field: str, value: Any) -> None:
    """Negative, huge, non-finite, wrong-typed values never reach the device."""
    with pytest.raises(ValidationError, match=field):
        CongestionDeviceParams(**{field: value})
