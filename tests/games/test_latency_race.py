"""The latency race on the device against the theory's numbers
(accord/games/latency_race.py, accord/mechanisms/latency.py): the fcfs winner, the
priority gas auction's tips, the deal's value under each rule, determinism and
conservation."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from accord.device import DeviceConfig
from accord.games.latency_race import (
    LOSE_GAS,
    TOKEN,
    WIN_GAS,
    LatencyRaceGame,
    LatencyRaceParams,
    _Arm,
    best_backrun,
)
from accord.mechanisms.cfmm.v2 import amount_out
from accord.mechanisms.latency import fcfs_win_shares, pga_bid_per_gas, slow_share_two

UNIT = 10**15
PRIZE = 2_233_321_606_853_360_394
"""V for the default pool and trade: 1,000 TOK / 1,000 ETH, a 50 ETH buy, 30 bps."""


def config(ordering: str) -> DeviceConfig:
    return DeviceConfig(ordering=ordering, signatures="mac")


def run(ordering: str, seed: int = 0, **params: Any) -> dict[str, float | int]:
    result = LatencyRaceGame().run(LatencyRaceParams(**params), config(ordering), seed)
    return dict(result.metrics)


def test_best_backrun_is_the_exact_integer_optimum() -> None:
    x, y, fee = 10**21 - amount_out(5 * 10**19, 10**21, 10**21), 10**21 + 5 * 10**19, 30
    p0 = Fraction(1)
    a, out = best_backrun((x, y), fee, p0)
    assert out == amount_out(a, x, y, fee)

    def profit(k: int) -> Fraction:
        return amount_out(k, x, y, fee) - k * p0

    assert profit(a) >= profit(a - 1) and profit(a) >= profit(a + 1)
    assert int(profit(a)) == PRIZE
    assert best_backrun((10**21, 10**21), fee, p0) == (0, 0)  # at the reference price


def test_gas_constants_match_the_receipts() -> None:
    for ordering in ("fcfs", "priority"):
        races = _Arm(LatencyRaceParams(races=2), config(ordering), 3, deal=False).run()
        for r in races:
            assert sorted(r.gas) == [LOSE_GAS, WIN_GAS]
            assert r.gas[r.winner] == WIN_GAS


def test_under_fcfs_without_jitter_the_lowest_latency_always_wins() -> None:
    m = run("fcfs", races=4, jitter_ms=0, latency_gap_ms=1)
    assert m["win_share_fast"] == 1 and m["win_share_slow"] == 0
    assert m["theory_win_share_fast"] == 1 and m["builder_revenue"] == 0
    assert m["prize"] == PRIZE / UNIT
    # the deal: the partner, at zero latency, wins every race and gains the whole prize
    assert m["deal_win_share_slow"] == 1
    assert m["integration_premium_gross"] == pytest.approx(PRIZE / UNIT, rel=1e-15)
    assert m["integration_premium"] == pytest.approx(PRIZE / UNIT, rel=1e-6)  # fees aside
    assert m["theory_integration_premium"] == m["deal_price"] == PRIZE / UNIT
    assert m["builder_gain"] == PRIZE / UNIT and m["rival_loss"] == pytest.approx(m["profit_fast"])


def test_a_latency_tie_is_broken_by_the_random_submission_order() -> None:
    m = run("fcfs", races=40, jitter_ms=0, latency_gap_ms=0)
    assert 0.25 < m["win_share_fast"] < 0.75 and m["theory_win_share_fast"] == 0.5


@pytest.mark.parametrize("gap", [5, 12])
def test_fcfs_win_shares_follow_the_theory_with_jitter(gap: int) -> None:
    m = run("fcfs", races=80, seed=2, latency_gap_ms=gap, jitter_ms=20)
    theory = float(slow_share_two(gap, 20))
    assert m["theory_win_share_slow"] == theory
    assert abs(m["win_share_slow"] - theory) < 0.16  # 80 races: sd <= 0.051
    assert m["win_share_fast"] + m["win_share_slow"] == 1 == m["capture_share"]
    premium = (1 - theory) * PRIZE / UNIT
    assert m["theory_integration_premium"] == pytest.approx(premium)
    assert m["deal_win_share_slow"] == 1
    # the measured premium is V times the extra wins, exactly
    extra = 1 - m["win_share_slow"]
    assert m["integration_premium_gross"] == pytest.approx(extra * PRIZE / UNIT, rel=1e-12)
    assert abs(m["integration_premium"] - m["integration_premium_gross"]) < 0.01  # gas only


def test_the_deal_is_worth_more_the_larger_the_gap() -> None:
    values = [
        run("fcfs", races=2, latency_gap_ms=g)["theory_integration_premium"]
        for g in (0, 5, 10, 20, 21)
    ]
    assert values == sorted(values) and values[0] == pytest.approx(PRIZE / UNIT / 2)
    assert values[-1] == PRIZE / UNIT


def test_priority_fees_run_an_all_pay_auction_whose_tips_are_the_equilibrium_bids() -> None:
    p = LatencyRaceParams(races=3)
    arm = _Arm(p, config("priority"), 4, deal=False)
    for r in arm.run():
        assert r.winner in (0, 1)
        for i in (0, 1):
            assert r.tips[i] % r.gas[i] == 0  # a tip per gas times the gas used
            assert r.tips[i] // r.gas[i] <= PRIZE // LOSE_GAS
    m = run("priority", races=120, seed=5)
    assert m["theory_builder_revenue"] == PRIZE / UNIT
    assert 0.8 < m["dissipation"] < 1.2  # all-pay: the tips add up to V in expectation
    assert abs(m["profit_fast"]) < 0.25 * PRIZE / UNIT  # each expects about 0


def test_pga_bids_are_drawn_from_the_equilibrium() -> None:
    b = pga_bid_per_gas(0.5, PRIZE, WIN_GAS, LOSE_GAS, 2)
    assert b == int(0.5 * PRIZE / (LOSE_GAS + 0.5 * (WIN_GAS - LOSE_GAS)))


@pytest.mark.parametrize("ordering", ["priority", "random", "batch"])
def test_outside_fcfs_latency_does_not_matter_and_the_deal_is_worth_nothing(
    ordering: str,
) -> None:
    near = run(ordering, races=6, seed=1, latency_gap_ms=0)
    far = run(ordering, races=6, seed=1, latency_gap_ms=200)
    for key in ("win_share_fast", "win_share_slow", "profit_fast", "builder_revenue"):
        assert near[key] == far[key]
    assert far["deal_win_share_slow"] == far["win_share_slow"]
    assert far["integration_premium"] == far["theory_integration_premium"] == 0
    assert far["integration_premium_gross"] == 0 and far["deal_price"] == 0
    assert far["builder_gain"] == 0


def test_under_batch_both_identical_swaps_are_refunded() -> None:
    m = run("batch", races=3)
    assert m["capture_share"] == 0 == m["win_share_fast"] == m["theory_win_share_slow"]
    assert -0.01 < m["profit_fast"] < 0  # gas only


def test_runs_are_deterministic_and_seeds_matter() -> None:
    p, c = LatencyRaceParams(races=5), config("fcfs")
    a, b = LatencyRaceGame().run(p, c, 9), LatencyRaceGame().run(p, c, 9)
    assert a.metrics == b.metrics and a.state_hash == b.state_hash
    assert a.tables == b.tables
    assert LatencyRaceGame().run(p, c, 10).state_hash != a.state_hash


def test_money_is_conserved_and_the_builder_is_paid_the_deal_price() -> None:
    p = LatencyRaceParams(races=4, jitter_ms=0)
    arm = _Arm(p, config("fcfs"), 0, deal=True)
    eth = arm.dev.config.fee_asset
    supply = {a: arm.dev.supply(a) for a in (eth, TOKEN)}
    builder = arm.dev.balance(arm.dev.config.builder, eth)
    arm.run()
    arm.pay_builder(4 * PRIZE)
    assert arm.dev.balance(arm.dev.config.builder, eth) - builder == 4 * PRIZE
    assert arm.dev.supply(TOKEN) == supply[TOKEN]
    assert arm.dev.supply(eth) <= supply[eth]  # only the base fee is burned


def test_a_trade_that_buys_nothing_is_refused_naming_victim_eth() -> None:
    with pytest.raises(ValidationError, match="victim_eth 1 buys no TOK"):
        LatencyRaceParams(victim_eth=1)


def test_latencies_beyond_the_block_are_refused_naming_the_block_time() -> None:
    with pytest.raises(ValueError, match="block_time_ms"):
        run("fcfs", races=1, base_latency_ms=5_000, latency_gap_ms=5_000, searchers=3)


@settings(max_examples=30, deadline=None)
@given(
    key=st.sampled_from(
        ["searchers", "base_latency_ms", "latency_gap_ms", "jitter_ms", "victim_eth", "races"]
    ),
    bad=st.one_of(
        st.integers(-(10**30), -1),
        st.integers(10**28, 10**30),
        st.text(max_size=3),
        st.floats(),
        st.none(),
        st.lists(st.integers(), max_size=2),
    ),
)
def test_hostile_params_are_refused_naming_the_field(key: str, bad: Any) -> None:
    with pytest.raises(ValidationError) as err:
        LatencyRaceParams(**{key: bad})
    assert key in str(err.value)


def test_three_searchers_follow_the_theory() -> None:
    m = run("fcfs", races=3, searchers=3, jitter_ms=0, latency_gap_ms=2)
    assert m["win_share_fast"] == 1 == m["deal_win_share_slow"]
    assert m["theory_integration_premium"] == PRIZE / UNIT
    m = run("fcfs", races=60, seed=3, searchers=3, jitter_ms=10, latency_gap_ms=4)
    shares = fcfs_win_shares([50, 54, 58], 10)
    assert m["theory_win_share_fast"] == float(shares[0])
    assert m["theory_win_share_slow"] == float(shares[2])
    assert abs(m["win_share_fast"] - float(shares[0])) < 0.2  # 60 races: sd <= 0.065
    m = run("random", races=6, searchers=3)
    assert m["theory_win_share_fast"] == pytest.approx(1 / 3) and m["capture_share"] == 1


@settings(max_examples=12, deadline=None)
@given(
    searchers=st.integers(2, 4),
    gap=st.integers(0, 300),
    jitter=st.integers(0, 300),
    victim=st.sampled_from([10**3, 10**6, 10**18, 5 * 10**19, 9 * 10**20]),
    fee=st.sampled_from([0, 30, 1_000]),
    ordering=st.sampled_from(["fcfs", "priority", "random", "batch"]),
)
def test_any_valid_setup_runs_conserving_money_and_reporting_sane_figures(
    searchers: int, gap: int, jitter: int, victim: int, fee: int, ordering: str
) -> None:
    m = run(
        ordering, races=1, searchers=searchers, latency_gap_ms=gap, jitter_ms=jitter,
        victim_eth=victim, fee_bps=fee,
    )  # fmt: skip
    for key in ("win_share_fast", "win_share_slow", "capture_share", "deal_win_share_slow"):
        assert 0 <= m[key] <= 1
    assert m["prize"] >= 0 and m["builder_revenue"] >= 0 and m["deal_price"] >= 0
    assert m["deal_price"] <= m["prize"]
    if m["prize"] == 0:  # nothing to backrun: nobody sends anything
        assert m["capture_share"] == 0 == m["builder_revenue"]


def test_a_first_slot_deal_under_fcfs_is_worth_what_the_latency_deal_is() -> None:
    a = run("fcfs", races=3, jitter_ms=0, latency_gap_ms=1, deal="first_slot")
    b = run("fcfs", races=3, jitter_ms=0, latency_gap_ms=1)
    assert a == b


def test_a_discretionary_builder_sells_the_first_slot_under_random_ordering() -> None:
    m = run("random", races=20, seed=2, deal="first_slot")
    assert m["deal_win_share_slow"] == 1 and m["theory_integration_premium"] == pytest.approx(
        PRIZE / UNIT / 2
    )
    extra = 1 - m["win_share_slow"]
    assert m["integration_premium_gross"] == pytest.approx(extra * PRIZE / UNIT, rel=1e-12)
    assert m["builder_gain"] == m["deal_price"] and m["rival_loss"] > 0


def test_under_priority_fees_the_first_slot_deal_trades_the_builders_tips_for_its_price() -> None:
    m = run("priority", races=60, seed=6, deal="first_slot")
    assert m["deal_win_share_slow"] == 1 and m["theory_win_share_slow"] == 0.5
    assert m["theory_integration_premium"] == m["deal_price"] == PRIZE / UNIT
    # nobody bids against the slot: the builder's gain is the price minus the lost tips
    assert m["builder_gain"] == pytest.approx(m["deal_price"] - m["builder_revenue"])
    assert abs(m["builder_gain"]) < 0.25 * PRIZE / UNIT  # theory: V - V = 0
    # the partner's gain is V minus what it expected in the auction (theory: 0)
    assert m["integration_premium"] == pytest.approx(PRIZE / UNIT - m["profit_slow"], rel=1e-6)


def test_batch_settlement_leaves_the_first_slot_worthless() -> None:
    m = run("batch", races=3, deal="first_slot")
    assert m["deal_win_share_slow"] == 0 == m["integration_premium"] == m["deal_price"]


def test_the_first_slot_builder_orders_a_sealed_mempool_by_arrival() -> None:
    sealed = DeviceConfig(ordering="fcfs", signatures="mac", mempool="sealed")
    p = LatencyRaceParams(races=3, jitter_ms=0, latency_gap_ms=1, deal="first_slot")
    m = LatencyRaceGame().run(p, sealed, 0).metrics
    assert m["win_share_fast"] == 1 and m["deal_win_share_slow"] == 1
    assert m["deal_price"] == PRIZE / UNIT
