"""The futarchy scenario: the market picks what the beliefs favour, money is conserved,
and a manipulator pays informed traders, flipping the decision only with enough capital."""

from __future__ import annotations

import pytest

from accord.device import DeviceConfig
from accord.games.base import GAMES
from accord.games.futarchy import FutarchyGame, FutarchyParams, manipulation_sweep

CONFIG = DeviceConfig(ordering="fcfs")


def run(seed: int = 0, **kw: object) -> dict[str, float | int]:
    result = FutarchyGame().run(FutarchyParams(**kw), CONFIG, seed)  # type: ignore[arg-type]
    return dict(result.metrics)


def test_registered_and_deterministic() -> None:
    assert GAMES["futarchy"] is FutarchyGame
    a = FutarchyGame().run(FutarchyParams(), CONFIG, 3)
    b = FutarchyGame().run(FutarchyParams(), CONFIG, 3)
    assert a.state_hash == b.state_hash and a.metrics == b.metrics
    assert FutarchyGame().run(FutarchyParams(), CONFIG, 4).state_hash != a.state_hash


@pytest.mark.parametrize(("p_pass", "p_fail", "decision"), [(0.65, 0.45, 1), (0.35, 0.6, 0)])
def test_market_picks_what_the_beliefs_favour(p_pass: float, p_fail: float, decision: int) -> None:
    for seed in range(3):
        m = run(seed, p_pass=p_pass, p_fail=p_fail)
        assert m["favoured"] == m["decision"] == decision and m["correct"] == 1
        # the TWAPs sit near the truth the traders' beliefs scatter around
        assert m["twap_pass"] == pytest.approx(p_pass, abs=0.05)
        assert m["twap_fail"] == pytest.approx(p_fail, abs=0.05)


def test_money_is_conserved_and_the_market_empties() -> None:
    m = run(0, manipulator_capital=50_000)
    assert m["collateral_left_in_market"] == 0
    assert m["manipulator_pnl"] + m["informed_pnl"] + m["sponsor_pnl"] == 0  # jurors all coherent
    assert m["sponsor_pnl"] >= -7_000  # never worse than −⌈b ln 2⌉ = −6,932


def test_manipulation_costs_money_and_fails_against_enough_informed_capital() -> None:
    """Manipulator with half the informed traders' capital, pushing FAIL: the decision
    stays PASS; at the true odds it loses, and the informed traders gain."""
    honest = run(0)
    m = run(0, manipulator_capital=50_000)
    assert honest["decision"] == m["decision"] == 1
    assert m["twap_pass"] < honest["twap_pass"] and m["twap_fail"] > honest["twap_fail"]
    assert m["manipulator_expected_pnl"] == pytest.approx(-9_311.1, abs=0.01)
    assert m["informed_expected_pnl"] == pytest.approx(9_420.0, abs=0.01)
    assert m["informed_expected_pnl"] > honest["informed_expected_pnl"]
    # realised P&L is one draw of the metric: the manipulator's PASS-NO pays all or nothing
    assert m["metric"] == 0 and m["manipulator_pnl"] == 66_254
    lucky = run(1, manipulator_capital=50_000)
    assert lucky["metric"] == 1 and lucky["manipulator_pnl"] == -50_000


def test_the_capital_at_which_the_decision_flips() -> None:
    grid = [0, 0.5, 0.7, 0.9, 1.0, 2.0]
    sweep = manipulation_sweep(FutarchyParams(), grid, seed=0)
    assert sweep["informed_capital"] == 100_000
    assert sweep["flip_multiple"] == 1.0
    correct = [r["correct"] for r in sweep["runs"]]
    assert correct == [1, 1, 1, 1, 0, 0]
    # it loses money at the true odds whether or not the push succeeds
    assert all(r["manipulator_expected_pnl"] < 0 for r in sweep["runs"][1:])


def test_bad_params_name_the_field() -> None:
    with pytest.raises(ValueError, match="p_pass"):
        FutarchyParams(p_pass=1.5)
