"""The commitment-race game on the device against the theory's numbers
(accord/games/commitment_race.py, accord/mechanisms/races.py)."""

from __future__ import annotations

import math
from typing import Any

import pytest

import accord.games.commitment_race as M
from accord.device import DeviceConfig
from accord.games.commitment_race import CommitmentRaceGame, CommitmentRaceParams
from accord.mechanisms.races import chicken_mixed

UNIT = 10**9


def run(ordering: str, seed: int = 0, **params: Any) -> dict[str, float | int]:
    latency = params.pop("latency", {})
    config = DeviceConfig(ordering=ordering, signatures="mac", latency_ms=latency)
    result = CommitmentRaceGame().run(CommitmentRaceParams(**params), config, seed)
    return dict(result.metrics)


@pytest.mark.parametrize("slow, share", [("player_1", 1.0), ("player_0", 0.0)])
def test_under_fcfs_the_lower_latency_player_always_commits_first(slow: str, share: float) -> None:
    m = run("fcfs", races=6, latency={slow: 100})
    assert m["first_mover_share"] == share and m["bound_share"] == 1
    fast = 0 if share == 1 else 1
    assert m[f"payoff_{fast}"] == 5 and m[f"payoff_{1 - fast}"] == 1  # T and S, exactly
    assert m["tips_0"] == m["tips_1"] == 0 == m["dissipation"]


def test_under_fcfs_with_equal_latencies_the_submission_order_decides() -> None:
    """Arrival ties are broken by submission order, drawn per race: a fair lottery."""
    m = run("fcfs", races=60)
    assert 0.3 < m["first_mover_share"] < 0.7 and m["dissipation"] == 0


def test_under_random_ordering_the_race_is_a_fair_lottery_without_fees() -> None:
    m = run("random", races=60, latency={"player_1": 100})
    assert 0.3 < m["first_mover_share"] < 0.7  # 1/2; 60 races: sd 0.065
    assert m["dissipation"] == 0 and m["payoff_0"] + m["payoff_1"] == 6


def test_the_priority_fee_war_dissipates_the_prize_as_the_all_pay_auction_predicts() -> None:
    """Expected tips = V (Hillman & Riley 1989), so each player nets S, the loser's payoff,
    less base fees. Over 160 races the mean tips/V has a standard error of about 0.03."""
    dissipation, net = [], []
    for seed in range(4):
        m = run("priority", seed, races=40)
        assert m["theory_dissipation"] == 1
        dissipation.append(m["dissipation"])
        net.append((m["net_0"] + m["net_1"]) / 2)
    mean = sum(dissipation) / 4
    assert 0.9 < mean < 1.1, dissipation
    assert 0.85 < sum(net) / 4 < 1.15  # S = 1 point, less base fees of ~0.0001


def test_mempool_escalation_burns_more_than_the_prize_and_a_private_mempool_stops_it() -> None:
    """Myopic replace-by-fee raises (a dollar auction) stop only when winning at the next
    tip no longer beats losing at the current one, past V: about 3 V here. A private
    mempool shows no rival tip, so nobody raises and the faster player binds."""
    public = run("priority", races=10, bid="escalate", latency={"player_1": 100})
    assert 2.5 < public["dissipation"] < 3.5 and public["welfare"] < 0
    assert public["bound_share"] == 1 and math.isnan(public["theory_dissipation"])
    config = DeviceConfig(
        ordering="priority", mempool="private", signatures="mac", latency_ms={"player_1": 100}
    )
    quiet = CommitmentRaceGame().run(CommitmentRaceParams(races=10, bid="escalate"), config, 0)
    assert quiet.metrics["first_mover_share"] == 1
    assert quiet.metrics["tips_0"] < 1e-3 and quiet.metrics["tips_1"] < 1e-3  # a tip of 1 per gas


def test_the_bidders_gas_constants_are_what_commitments_use() -> None:
    seen: list[int] = []
    original = M._Race._mine_until

    def spy(self: Any, last: int, sent: dict[bytes, int], fees: Any, tips: Any) -> None:
        watched = dict(sent)
        while self.dev.number < last:
            block = self.dev.build_block()
            for tx, r in zip(block.transactions, block.receipts, strict=True):
                if watched.pop(tx.hash, None) is not None:
                    seen.append(r.gas_used)
                    sent.pop(tx.hash)
        original(self, last, sent, fees, tips)

    M._Race._mine_until = spy  # type: ignore[method-assign]
    try:
        run("priority", races=2)
    finally:
        M._Race._mine_until = original  # type: ignore[method-assign]
    assert sorted(set(seen)) == [M.VOID_GAS, M.BIND_GAS]


@pytest.mark.parametrize("ordering, design", [("batch", "open"), ("priority", "sealed")])
def test_cancelling_designs_defuse_the_race(ordering: str, design: str) -> None:
    """Nothing binds, nobody tips, and Chicken falls back to its mixed equilibrium:
    straight with q = 2/3, so a crash with q² = 4/9 and each player's payoff 5/3."""
    crashes, payoff = [], []
    for seed in range(3):
        m = run(ordering, seed, races=40, design=design)
        assert m["bound_share"] == 0 == m["first_mover_share"] == m["dissipation"]
        assert m["tips_0"] == m["tips_1"] == 0
        crashes.append(m["crash_rate"])
        payoff.append((m["payoff_0"] + m["payoff_1"]) / 2)
    q = float(chicken_mixed(CommitmentRaceParams().spec()).straight)
    assert sum(crashes) / 3 == pytest.approx(q * q, abs=0.1)  # 120 races: sd 0.045
    assert sum(payoff) / 3 == pytest.approx(m["theory_fallback"], abs=0.3)


def test_in_the_ultimatum_game_cancelling_returns_the_proposers_first_move() -> None:
    m = run("batch", races=3, game="ultimatum")
    assert m["bound_share"] == 0
    assert m["payoff_0"] * UNIT == 100 * UNIT - 1 and m["payoff_1"] * UNIT == pytest.approx(1)
    fast = run("fcfs", races=3, game="ultimatum", latency={"player_0": 100})
    assert fast["first_mover_share"] == 0  # the responder bound its threshold π − 1
    assert fast["payoff_1"] * UNIT == pytest.approx(100 * UNIT - 1)


def test_a_run_is_a_pure_function_of_its_seed() -> None:
    config = DeviceConfig(ordering="random", signatures="mac")
    a = CommitmentRaceGame().run(CommitmentRaceParams(races=3), config, 7)
    b = CommitmentRaceGame().run(CommitmentRaceParams(races=3), config, 7)
    assert a.state_hash == b.state_hash and a.metrics == b.metrics


def test_bad_parameters_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="T > R > S > P"):
        CommitmentRaceParams(T=3, R=3)
    with pytest.raises(ValueError, match="design"):
        CommitmentRaceParams(design="closed")  # type: ignore[arg-type]
