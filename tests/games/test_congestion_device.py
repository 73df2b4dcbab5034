"""The device congestion run: at η = 0 against Wardrop, the optimum and the atomic
equilibrium; with MEV (η > 0), realised integers against the CFMM Pigou
closed form (Kulkarni, Diamandis & Chitra) and the sequential model, where the sandwich
lands and where the device defeats it, and hostile parameters refused."""

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
from accord.games.congestion_device import CongestionDeviceGame, CongestionDeviceParams
from accord.lab.runner import run_sweep
from accord.lab.scenario import load_scenario
from accord.mechanisms.congestion import cfmm_pigou_closed_form

ROOT = Path(__file__).resolve().parents[2]
R = 10**12
CONFIG = DeviceConfig(signatures="mac")


def run(ordering: str = "priority", mempool: str = "public", **params: Any) -> dict[str, Any]:
    config = DeviceConfig(signatures="mac", ordering=ordering, mempool=mempool)
    return dict(CongestionDeviceGame().run(CongestionDeviceParams(**params), config, 3).metrics)


# -- η = 0: the device against Wardrop, the optimum and the atomic equilibrium ----------
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


# -- η > 0: the sandwicher ---------------------------------------------------------------
def test_one_user_gets_kulkarnis_sandwiched_forward_function() -> None:
    """One user sells all of D = R to the shallow pool (quotes tie at ½) and is
    sandwiched to its limit: (1 − η)·G(D) = 0.9 · R/2, exactly, in integers."""
    m = run(users=1, eta_bps=1000)
    assert m["realised_out"] == 450_000_000_000
    assert m["sandwiches_landed"] == 1 and m["sandwich_take"] > 0
    assert m["loss_shallow"] == pytest.approx(0.1, abs=1e-11)


@pytest.mark.parametrize("eta_bps", [1000, 3000])
def test_under_priority_and_a_public_mempool_users_lose_eta_on_the_shallow_pool(
    eta_bps: int,
) -> None:
    m = run(users=20, eta_bps=eta_bps)
    assert m["sandwiches_landed"] == m["sandwich_attempts"] == 20
    assert m["loss_shallow"] == pytest.approx(eta_bps / 10_000, abs=1e-9)
    assert 0 < m["loss_deep"] < 3e-4  # a budget of R against a pool 10⁴ R deep: ≈ 2e-4
    assert m["sandwich_take"] > 0


@pytest.mark.parametrize(
    ("ordering", "mempool"), [("fcfs", "public"), ("batch", "public"), ("priority", "sealed")]
)
def test_fcfs_batch_and_a_sealed_mempool_defeat_the_sandwich(ordering: str, mempool: str) -> None:
    """No sandwich lands; naive users then realise exactly what they do at η = 0."""
    m = run(ordering, mempool, users=20, eta_bps=1000)
    assert m["sandwiches_landed"] == 0 and m["sandwich_take"] == 0
    assert m["loss_shallow"] == 0.0
    assert m["realised_out"] == run(ordering, mempool, users=20)["realised_out"]


@pytest.mark.parametrize("eta", [0.1, 0.3])
def test_the_eta_model_is_the_closed_form_and_a_batch_realises_its_equilibrium_split(
    eta: float,
) -> None:
    """The model's η-equilibrium and η-optimum are the closed form's x_eq = 1 − 2η and
    x_opt = √(2(1 − η)) − 1 (within 1e-3: the deep pool is not quite a link); users who
    anticipate the sandwich and trade in one batch take the atomic η-equilibrium, whose
    split is x_eq within one user's slice, and receive its exact integer output: no
    sandwich lands, so more than the η-model's equilibrium output."""
    closed = cfmm_pigou_closed_form(eta=eta)
    m = run("batch", users=20, eta_bps=round(eta * 10_000), anticipate=True)
    assert m["share_wardrop"] == pytest.approx(closed.x_eq, abs=1e-3)
    assert m["share_optimum"] == pytest.approx(closed.x_opt, abs=1e-3)
    assert m["poa_model"] == pytest.approx(closed.poa, abs=1e-3)
    assert abs(m["share_realised"] - closed.x_eq) <= 1 / 20
    assert m["realised_out"] == m["atomic_out"] > m["wardrop_out"]


@pytest.mark.parametrize(("eta_bps", "anticipate"), [(1000, False), (1000, True), (3000, True)])
def test_one_swap_a_block_follows_the_sequential_model_not_the_eta_optimum(
    eta_bps: int, anticipate: bool
) -> None:
    """Sandwiched one swap a block, 80 users realise the sequential model's output to
    1.5e-3 and its split to a slice, not the η-optimum's split: each back-run returns
    the pool, which moves by (1 − η)·a a swap."""
    m = run(users=80, eta_bps=eta_bps, anticipate=anticipate)
    assert m["realised_out"] == pytest.approx(m["sequential_out"], rel=1.5e-3)
    assert abs(m["share_realised"] - m["share_sequential"]) <= 1 / 80 + 5e-3
    assert m["share_realised"] > m["share_optimum"] + 0.02


def test_the_scenario_sweeps_eta_ordering_mempool_and_anticipation() -> None:
    scenario = load_scenario(ROOT / "examples" / "congestion-mev.toml")
    assert len(scenario.points) == 48
    chosen = [
        p
        for p in scenario.points
        if p.values["params.eta_bps"] == 1000 and p.values["device.mempool"] == "public"
    ]
    sweep = run_sweep(replace(scenario, points=tuple(chosen), replicates=(0,)), workers=1)
    assert not sweep.failed, [o.error for o in sweep.failed]
    landed = {
        (p.values["device.ordering"], p.values["params.anticipate"]): o.result.metrics
        for p, o in zip(chosen, sweep.outcomes, strict=True)
        if o.result is not None
    }
    assert {k for k, m in landed.items() if m["sandwiches_landed"]} == {
        ("priority", False),
        ("priority", True),
    }
    assert landed[("priority", False)]["realised_out"] == 562_307_791_539  # docs/congestion.md
    assert landed[("batch", True)]["realised_out"] == 544_442_444_468


def test_the_run_is_deterministic_and_accounts_for_every_unit() -> None:
    game, params = CongestionDeviceGame(), CongestionDeviceParams(users=7, eta_bps=2000)
    config = DeviceConfig(signatures="mac")
    a, b = game.run(params, config, 5), game.run(params, config, 5)
    assert a.state_hash == b.state_hash and a.metrics == b.metrics
    swaps = a.tables["swaps"]
    assert sum(r["amount_in"] for r in swaps) == R
    assert sum(r["amount_out"] for r in swaps) == a.metrics["realised_out"]
    for row in swaps:
        assert row["amount_out"] >= row["expected"] * 8000 // 10_000


COMMON = st.one_of(
    st.integers(-(10**30), -1),
    st.integers(10**4, 10**30),
    st.floats(max_value=-1e-300),
    st.floats(min_value=101.0),
    st.sampled_from([math.nan, math.inf, -math.inf, "1", "yes", b"1", [1]]),
    st.none(),
)
BAD_VALUES = {
    "eta_bps": st.one_of(COMMON, st.floats(0.0, 0.9), st.just(True)),
    "anticipate": st.one_of(COMMON, st.sampled_from([0, 1, 0.0, "true"])),
    "searcher_budget": COMMON,
}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(BAD_VALUES)).flatmap(lambda f: st.tuples(st.just(f), BAD_VALUES[f])))
def test_hostile_mev_params_are_refused_by_name(bad: tuple[str, Any]) -> None:
    """Negative, huge, non-finite, wrong-typed (a float η in bps, a string for a flag)."""
    field, value = bad
    with pytest.raises(ValidationError, match=field):
        CongestionDeviceParams(**{field: value})


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
