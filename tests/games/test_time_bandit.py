"""The time-bandit game: forks on the device against the capped race's exact model."""

from __future__ import annotations

import math
from fractions import Fraction

from accord.device import DeviceConfig
from accord.games.time_bandit import TimeBanditGame, TimeBanditParams
from accord.mechanisms.time_bandit import capped_race


def play(k: int, seed: int = 3, **params: int) -> dict[str, float]:
    result = TimeBanditGame().run(
        TimeBanditParams(**params), DeviceConfig(finality_depth=k, signatures="mac"), seed
    )
    return {**result.metrics, "state_hash": result.state_hash}  # type: ignore[dict-item]


def test_same_seed_same_run() -> None:
    assert play(3, rounds=15) == play(3, rounds=15)


def test_a_final_target_cannot_be_bought() -> None:
    """depth > finality_depth: no fork is possible, every bounty is refunded."""
    m = play(1, rounds=20, depth=2)
    assert m["forks_attempted"] == m["bounty_paid"] == m["user_losses"] == m["mev_captured"] == 0
    assert math.isnan(m["threshold"]) and m["fork_cap"] == -1


def test_on_device_accounting_is_exact_per_reorg() -> None:
    m = play(4, rounds=30, alpha_bps=4_500, mev=2_000, bounty=3_000, payment=10_000, depth=2)
    reorgs = round(m["reorg_rate"] * 30)
    assert reorgs > 0
    assert m["bounty_paid"] == 3_000 * reorgs
    assert m["mev_captured"] == 2_000 * reorgs
    assert m["user_losses"] == 10_000 * reorgs
    assert 2 <= m["mean_reorg_depth"] <= 4


def test_below_the_threshold_the_bandit_stays_honest() -> None:
    m = play(3, rounds=10, mev=1, bounty=1, reward=1_000)
    assert m["threshold"] > 2 and m["forks_attempted"] == 0 and m["reorg_rate"] == 0


def test_reorg_rate_matches_the_capped_race() -> None:
    """400 races at α = 40 %, depth 1, k = 3: the device's reorg rate within four
    standard errors of the exact P_win."""
    rounds = 400
    m = play(3, seed=5, rounds=rounds, alpha_bps=4_000, depth=1, give_up=6, mev=10**6)
    p = float(capped_race(Fraction(2, 5), 1, 6, 2).win)
    assert abs(m["win_probability"] - p) < 1e-12
    se = math.sqrt(p * (1 - p) / rounds)
    assert abs(m["reorg_rate"] - p) < 4 * se, (m["reorg_rate"], p, se)
