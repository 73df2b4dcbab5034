"""The MEV threshold (accord.mechanisms.bandit_mdp.threshold) against the published figure
(Zhou et al. S&P 2021, quoted by Qin, Zhou & Gervais S&P 2022), the one-block-hold closed
form and eq. 13; hostile calls."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from accord.mechanisms.bandit_mdp import (
    MAX_GRID,
    Chain,
    honest_policy,
    optimal_revenue,
    policy_revenue,
    share_threshold,
    sm1_revenue,
    solve,
    threshold,
    threshold_grid,
)
from accord.mechanisms.time_bandit import threshold as ruin_threshold
from tests.mechanisms.bandit_mdp.test_model import junk

DOCS = Path(__file__).resolve().parents[3] / "docs" / "finality.md"
ETHEREUM = Chain(0.1, stale=0.0572)  # Zhou et al. S&P 2021 §VII.B: α 10 %, r_s 5.72 %


def index(chain: Chain, a: int, h: int, fork: int) -> int:
    return (a * (chain.cutoff + 1) + h) * 3 + fork


def test_the_published_threshold_is_reproduced() -> None:
    """α = 10 %, γ = 0, r_s = 5.72 %, k = 1, c_m = α, cutoff 20: "MEV_v equals to 4",
    found by a binary search "given a margin of error of 0.1"."""
    found = threshold(ETHEREUM, tol=0.001)
    assert abs(found - 4.0) <= 0.1
    assert round(found) == 4
    assert 4.0 < found < 4.03  # this model's figure, to the bisection's tolerance


def test_eq_13_agrees_with_the_reachability_criterion() -> None:
    """Below V* the optimal policy is worth exactly the honest one and never exits;
    above it, it exits and is worth more (Zhou et al., eq. 13)."""
    below, above = solve(ETHEREUM, 3.9), solve(ETHEREUM, 4.1)
    assert not below.forks and below.value == pytest.approx(below.honest_value, abs=1e-9)
    assert above.forks and above.value > above.honest_value + 0.01
    # the honest policy's discounted value: -α per cycle of delay, -c_m (1 - β) / (1 - β) ...
    assert above.honest_value == pytest.approx(-0.1, abs=1e-6)


def test_the_optimal_fork_holds_one_block() -> None:
    """At α = 10 % just above V*: keep a found block private; a second one (before or
    after a public block) exits with the MEV; two public blocks, adopt."""
    policy = solve(ETHEREUM, 4.1).policy
    irrelevant, relevant = 0, 1
    assert policy[index(ETHEREUM, 1, 0, irrelevant)] == "wait"
    assert policy[index(ETHEREUM, 1, 1, relevant)] == "wait"
    assert policy[index(ETHEREUM, 2, 0, irrelevant)] == "exit"
    assert policy[index(ETHEREUM, 2, 1, irrelevant)] == "exit"
    assert policy[index(ETHEREUM, 1, 2, relevant)] == "adopt"


@pytest.mark.parametrize("alpha", [0.1, 0.2, 0.3])
def test_the_one_block_hold_closed_form(alpha: float) -> None:
    """Without stale blocks, holding one block wins the MEV with probability α(2 − α)
    and loses the block with (1 − α)²: V* = (1 − α)² / (α (2 − α)) while that policy is
    optimal (small α); above, the MDP finds cheaper ones, never dearer."""
    closed = (1 - alpha) ** 2 / (alpha * (2 - alpha))
    assert threshold(Chain(alpha), tol=0.001) == pytest.approx(closed, abs=0.01)


def test_a_large_share_finds_a_cheaper_fork_than_the_hold() -> None:
    closed = 0.6**2 / (0.4 * 1.6)
    assert threshold(Chain(0.4), tol=0.001) < closed - 0.02


def test_thresholds_fall_with_share_and_stale_rate_and_grow_with_k() -> None:
    by_share = threshold_grid([0.1, 0.2, 0.3, 0.4], stale=0.0572, tol=0.01)
    assert by_share == sorted(by_share, reverse=True)
    for alpha in (0.1, 0.3):
        with_stale = threshold(Chain(alpha, stale=0.0572), tol=0.01)
        assert with_stale < threshold(Chain(alpha), tol=0.01)
        by_k = [threshold(Chain(alpha, stale=0.0572, confirmations=k), tol=0.01) for k in (1, 2)]
        assert by_k[0] < by_k[1]


def test_the_docs_table_is_the_models() -> None:
    """docs/finality.md's table: the MDP columns are this model's, the ruin columns
    accord.mechanisms.time_bandit's, at the printed precision."""
    rows = re.findall(
        r"^\| (\d+) % \| (\d) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$",
        DOCS.read_text(),
        re.M,
    )
    assert len(rows) == 12
    for percent, k, ruin_1, ruin_6, with_stale, without in rows:
        alpha, depth = int(percent) / 100, int(k)
        for give_up, printed in ((1, ruin_1), (6, ruin_6)):
            exact = ruin_threshold(Fraction(int(percent), 100), depth, give_up)
            assert f"{float(exact):.2f}" == printed, (percent, k, give_up)
        for stale, printed in ((0.0572, with_stale), (0.0, without)):
            chain = Chain(alpha, stale=stale, confirmations=depth)
            assert f"{threshold(chain, tol=0.005):.2f}" == printed, (percent, k, stale)


@settings(max_examples=30, deadline=None)
@given(mev=junk)
def test_bad_mev_is_refused_and_nothing_is_solved(mev: Any) -> None:
    if type(mev) is int and mev <= 10**12:
        return
    with pytest.raises(ValueError) as info:
        solve(Chain(0.2, cutoff=3), mev)
    assert "\n" not in str(info.value) and "mev" in str(info.value)


def test_bad_calls_are_refused_in_one_line() -> None:
    small = Chain(0.2, cutoff=3)
    honest = honest_policy(small)
    calls: list[Any] = [
        lambda: solve(small, -1),
        lambda: solve("chain", 1.0),  # type: ignore[arg-type]
        lambda: threshold(small, tol=0),
        lambda: threshold(small, tol=-1.0),
        lambda: threshold(small, ceiling=math.inf),
        lambda: threshold_grid([0.2] * (MAX_GRID + 1)),
        lambda: threshold_grid([]),
        lambda: threshold_grid("0.2"),  # type: ignore[arg-type]
        lambda: threshold_grid([0.2, 1.5]),
        lambda: policy_revenue(small, honest[:-1]),
        lambda: policy_revenue(small, ("jump",) * len(honest)),
        lambda: policy_revenue(small, ("override",) * len(honest)),  # not allowed at (0, 0)
        lambda: policy_revenue(small, ("exit",) * len(honest)),
        lambda: optimal_revenue(small, tol=0.0),
        lambda: sm1_revenue(0.6, 0.0),
        lambda: sm1_revenue(0.2, 2.0),
    ]
    for call in calls:
        with pytest.raises(ValueError) as info:
            call()
        assert "\n" not in str(info.value)


def test_requiring_a_replaced_public_block_barely_moves_the_threshold() -> None:
    """With the exit allowed only over at least one public block (displace = 1), the
    bandit waits at (2, 0) for one: V* moves by under 0.01 block rewards at α = 10 %."""
    strict = threshold(Chain(0.1, stale=0.0572, displace=1), tol=0.001)
    assert strict == pytest.approx(threshold(ETHEREUM, tol=0.001), abs=0.01)


def test_the_bev_forking_threshold_matches_qzgs_printed_points() -> None:
    """Qin, Zhou & Gervais (S&P 2022, §VII, Fig. 13): 4× the block reward makes a 10 %
    miner fork; their largest BEV, 616.6×, "could have incentivized a miner with only
    0.1% mining power to fork"."""
    assert share_threshold(4.0, tol=1e-3) == pytest.approx(0.10, abs=0.005)
    assert share_threshold(616.6) <= 0.001
    shares = [share_threshold(x, tol=1e-3) for x in (0.5, 2.0, 8.0, 32.0)]
    assert shares == sorted(shares, reverse=True)


def test_the_bev_forking_threshold_inverts_the_hold_closed_form() -> None:
    """Without stale blocks, (1 − α)² / (α (2 − α)) = V at α = 1 − √(V / (1 + V))."""
    for mev in (2.0, 8.0):
        closed = 1 - math.sqrt(mev / (1 + mev))
        assert share_threshold(mev, stale=0.0) == pytest.approx(closed, rel=0.01)


def test_bad_bev_forking_threshold_calls_are_refused() -> None:
    for kwargs in (
        {"mev": -1.0},
        {"mev": "4"},
        {"mev": 4.0, "tol": 0.0},
        {"mev": 4.0, "cutoff": 1},
        {"mev": 4.0, "stale": 2.0},
        {"mev": 4.0, "confirmations": 1.5},
    ):
        with pytest.raises(ValueError) as info:
            share_threshold(**kwargs)
        assert "\n" not in str(info.value)


def test_the_docs_forking_threshold_row_is_the_models() -> None:
    row = re.search(r"^\| least share that forks \(%\) \|(.+)\|$", DOCS.read_text(), re.M)
    assert row is not None
    printed = [float(cell) for cell in row.group(1).split("|")]
    assert len(printed) == 12
    for column, mev in ((3, 4.0), (11, 616.6)):
        assert 100 * share_threshold(mev, tol=2e-5) == pytest.approx(printed[column], abs=6e-3)
