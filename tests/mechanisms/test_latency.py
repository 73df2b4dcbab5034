"""The latency race's theory (accord/mechanisms/latency.py): fcfs win shares against
their closed form and a simulation, the priority gas auction's equilibrium, the deal's
value, and hostile inputs."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.latency import (
    deal_value,
    fcfs_win_shares,
    fcfs_winner,
    pga,
    pga_bid_per_gas,
    slow_share_two,
)
from accord.mechanisms.races import bid_per_gas


@pytest.mark.parametrize("jitter", [0, 1, 5, 20])
def test_two_searchers_shares_equal_the_closed_form(jitter: int) -> None:
    for gap in range(0, jitter + 4):
        fast, slow = fcfs_win_shares([7, 7 + gap], jitter)
        assert slow == slow_share_two(gap, jitter)
        assert fast + slow == 1
    assert slow_share_two(10, 20) == Fraction(121, 882)  # (21 - 10)^2 / (2 * 21^2)
    assert slow_share_two(0, 20) == Fraction(1, 2) and slow_share_two(21, 20) == 0


def test_without_jitter_the_lowest_latency_wins_ties_by_submission_order() -> None:
    assert fcfs_winner([30, 10, 20]) == 1
    assert fcfs_winner([10, 10, 20]) == 0
    assert fcfs_winner([10, 10, 20], order=[1, 0, 2]) == 1
    assert fcfs_win_shares([30, 10, 20], 0) == (0, 1, 0)
    assert fcfs_win_shares([10, 10, 20], 0) == (Fraction(1, 2), Fraction(1, 2), 0)


def test_equal_latencies_give_equal_shares_and_shares_sum_to_one() -> None:
    assert fcfs_win_shares([5, 5, 5, 5], 3) == (Fraction(1, 4),) * 4
    shares = fcfs_win_shares([0, 2, 3, 9], 6)
    assert sum(shares) == 1 and list(shares) == sorted(shares, reverse=True)


def test_shares_match_a_simulation_of_arrivals_with_random_tie_breaks() -> None:
    lat, jitter, n = np.array([0, 3, 4]), 5, 200_000
    rng = np.random.default_rng(1)
    arrival = lat + rng.integers(0, jitter + 1, size=(n, 3))
    tiebreak = rng.random((n, 3))
    key = arrival * 2.0 + tiebreak  # arrival first, then a uniform tie-break
    won = np.bincount(np.argmin(key, axis=1), minlength=3) / n
    theory = [float(s) for s in fcfs_win_shares([0, 3, 4], jitter)]
    assert np.allclose(won, theory, atol=0.005)  # sd about 0.001


def test_pga_bid_matches_the_two_player_commitment_race_bid() -> None:
    for u in (0.0, 0.1, 0.5, 0.93):
        assert pga_bid_per_gas(u, 10**18, 63_736, 44_128, 2) == bid_per_gas(
            u, 10**18, 63_736, 44_128
        )


@pytest.mark.parametrize("n", [2, 3, 5])
def test_pga_bids_leave_each_searcher_indifferent_and_the_builder_the_prize(n: int) -> None:
    prize, gw, gl = 10**18, 63_736, 44_128
    us = (np.arange(20_000) + 0.5) / 20_000
    cost = []
    for u in us:
        b = pga_bid_per_gas(float(u), prize, gw, gl, n)
        w = float(u) ** (n - 1)  # the win probability of quantile u
        gain = w * (prize - b * gw) - (1 - w) * b * gl
        assert abs(gain) <= gw + gl  # zero, up to the floor of one base unit per gas
        cost.append(w * b * gw + (1 - w) * b * gl)
    total = n * float(np.mean(cost))  # the builder's expected tips
    assert total == pytest.approx(prize, rel=1e-3)
    theory = pga(prize, n)
    assert theory.builder_revenue == prize and theory.searcher_gain == 0
    assert theory.win_share == Fraction(1, n)
    bids = [pga_bid_per_gas(float(u), prize, gw, gl, n) for u in us[::100]]
    assert bids == sorted(bids) and bids[-1] <= prize // gw


def test_deal_value_is_the_prize_times_the_gain_in_win_share() -> None:
    assert deal_value(882, Fraction(1), slow_share_two(10, 20)) == 882 - 121
    assert deal_value(100, Fraction(1, 2), Fraction(1, 2)) == 0


BAD: list[Any] = [-1, 1.5, "3", None, True, 10**9, [1]]


@settings(max_examples=60, deadline=None)
@given(
    bad=st.sampled_from(BAD),
    slot=st.integers(0, 2),
)
def test_hostile_inputs_are_refused_in_one_line(bad: Any, slot: int) -> None:
    lat: list[Any] = [0, 5, 9]
    if slot < 2:
        lat[slot] = bad
        args: tuple[Any, Any] = (lat, 3)
    else:
        args = (lat, bad)
    if type(bad) is int and 0 <= bad <= 100_000:
        return
    with pytest.raises(ValueError) as err:
        fcfs_win_shares(*args)
    assert "\n" not in str(err.value)


@settings(max_examples=60, deadline=None)
@given(
    u=st.one_of(st.floats(allow_nan=True), st.integers(-5, 5)),
    prize=st.one_of(st.integers(-(10**20), 10**20), st.floats(allow_nan=False)),
    n=st.one_of(st.integers(-3, 30), st.booleans()),
    gas=st.integers(-5, 10**6),
)
def test_hostile_pga_arguments_are_refused_or_give_a_bounded_bid(
    u: Any, prize: Any, n: Any, gas: int
) -> None:
    try:
        b = pga_bid_per_gas(u, prize, gas, 44_128, n)
    except ValueError as exc:
        assert "\n" not in str(exc)
        return
    assert type(prize) is int and prize >= 0 and type(n) is int and 2 <= n <= 16 and gas > 0
    assert 0 <= b <= prize // min(gas, 44_128)


def test_bad_arguments_name_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="latencies"):
        fcfs_win_shares([], 0)
    with pytest.raises(ValueError, match="order"):
        fcfs_winner([1, 2], order=[0, 0])
    with pytest.raises(ValueError, match="share_with"):
        deal_value(10, Fraction(3, 2), Fraction(0))
    with pytest.raises(ValueError, match="prize"):
        pga(-1)
    with pytest.raises(ValueError, match="gap"):
        slow_share_two(-1, 3)
