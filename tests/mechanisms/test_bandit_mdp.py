"""The time-bandit MDP (accord.mechanisms.bandit_mdp) against the published threshold, its
closed forms (honest share, Eyal and Sirer's SM1, the one-block hold), and hostile input."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.bandit_mdp import (
    ACTIONS,
    MAX_CUTOFF,
    MAX_GRID,
    Chain,
    honest_policy,
    optimal_revenue,
    policy_revenue,
    sm1_policy,
    sm1_revenue,
    solve,
    threshold,
    threshold_grid,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "finality.md"
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


@settings(max_examples=25, deadline=None)
@given(alpha=st.floats(0.01, 0.99), stale=st.floats(0.0, 0.5), gamma=st.floats(0.0, 1.0))
def test_the_honest_share_is_its_closed_form(alpha: float, stale: float, gamma: float) -> None:
    """Honest mining: α per step for the adversary, (1 − α)(1 − r_s) for the others."""
    chain = Chain(alpha, gamma=gamma, stale=stale, cutoff=4)
    expected = alpha / (alpha + (1 - alpha) * (1 - stale))
    assert policy_revenue(chain, honest_policy(chain)) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("alpha", [0.2, 0.25, 0.3])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0])
def test_sm1_in_the_mdp_is_eyal_and_sirers_closed_form(alpha: float, gamma: float) -> None:
    chain = Chain(alpha, gamma=gamma, cutoff=40)
    assert policy_revenue(chain, sm1_policy(chain)) == pytest.approx(
        sm1_revenue(alpha, gamma), abs=1e-6
    )


def test_sm1_closed_form_values() -> None:
    assert sm1_revenue(1 / 3, 0.0) == pytest.approx(1 / 3, abs=1e-15)  # SM1's γ = 0 threshold
    assert sm1_revenue(0.25, 0.5) == pytest.approx(0.25, abs=1e-15)  # and γ = 1/2's


def test_optimal_selfish_mining() -> None:
    """Sapirshtein et al.: no profitable deviation at α = 10 %, γ = 0; at γ = 1 the bound
    α / (1 − α) is reached; at α = 1/3, γ = 0 the optimum beats SM1 (which breaks even)
    and grows with the cutoff, staying under the bound."""
    assert optimal_revenue(Chain(0.1)) == pytest.approx(0.1, abs=1e-9)
    assert optimal_revenue(Chain(0.3, gamma=1.0)) == pytest.approx(0.3 / 0.7, abs=1e-6)
    third = [optimal_revenue(Chain(1 / 3, cutoff=c)) for c in (10, 20, 30)]
    assert third == sorted(third) and third[0] > 1 / 3 + 1e-3 and third[-1] < 0.5
    assert third[1] == pytest.approx(0.336883, abs=1e-6)  # this model at cutoff 20
    for alpha, gamma in ((0.35, 0.0), (0.25, 0.5)):
        chain = Chain(alpha, gamma=gamma)
        best = optimal_revenue(chain)
        assert best >= policy_revenue(chain, sm1_policy(chain)) - 1e-12
        assert alpha - 1e-12 <= best <= alpha / (1 - alpha)


def test_the_docs_table_is_the_models() -> None:
    """docs/finality.md's MDP columns are what this model computes."""
    rows = re.findall(
        r"^\| (\d+) % \| (\d) \|[^|]+\|[^|]+\| ([\d.]+) \| ([\d.]+) \|", DOCS.read_text(), re.M
    )
    assert len(rows) == 8
    for percent, k, with_stale, without in rows:
        alpha = int(percent) / 100
        for stale, printed in ((0.0572, with_stale), (0.0, without)):
            chain = Chain(alpha, stale=stale, confirmations=int(k))
            assert f"{threshold(chain, tol=0.005):.2f}" == printed, (percent, k, stale)


# --- hostile input ------------------------------------------------------------------

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=3),
    st.lists(st.integers(), max_size=2),
    st.just(math.nan),
    st.just(math.inf),
    st.floats(-1e30, -1e-9),
    st.integers(2, 10**30),
)


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(["alpha", "gamma", "stale", "cost"]), value=junk)
def test_bad_chain_numbers_are_refused_in_one_line(field: str, value: Any) -> None:
    if field == "cost" and (value is None or (type(value) is int and value <= 1e9)):
        return  # None is "cost = α", and any non-negative cost is allowed
    with pytest.raises(ValueError) as info:
        Chain(**{"alpha": 0.2, field: value})
    assert "\n" not in str(info.value) and field in str(info.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"alpha": 0.0},
        {"alpha": 1.0},
        {"alpha": 1},
        {"alpha": Fraction(3, 2)},
        {"alpha": 0.2, "stale": 1.0},
        {"alpha": 0.2, "cutoff": 1},
        {"alpha": 0.2, "cutoff": MAX_CUTOFF + 1},
        {"alpha": 0.2, "cutoff": 20.0},
        {"alpha": 0.2, "confirmations": -1},
        {"alpha": 0.2, "confirmations": 20},
        {"alpha": 0.2, "confirmations": True},
        {"alpha": 0.2, "displace": 20},
        {"alpha": 0.2, "cost": -0.1},
    ],
)
def test_bad_chains_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError) as info:
        Chain(**kwargs)
    assert "\n" not in str(info.value)


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


def test_policies_name_only_known_actions() -> None:
    chain = Chain(0.25, cutoff=5)
    assert chain.states == 3 * 36 + 1
    for policy in (honest_policy(chain), sm1_policy(chain), solve(chain, 3.0).policy):
        assert len(policy) == chain.states and set(policy) <= set(ACTIONS)
