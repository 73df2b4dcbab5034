"""The toy game: real device runs, deterministic, and sensitive to the device's design."""

from __future__ import annotations

import statistics

import pytest

from accord.device.config import DeviceConfig
from accord.games.base import get_game
from accord.games.toy import MIN_TRANSFER_GAS, TRANSFER_GAS, ToyGame, ToyParams

CONGESTED = 5 * TRANSFER_GAS  # five transfers a block for about six a block of demand


def play(seed: int, **design: object) -> dict[str, float | int]:
    config = DeviceConfig.model_validate({"block_gas_limit": CONGESTED, **design})
    return dict(ToyGame().run(ToyParams(agents=6, blocks=30), config, seed).metrics)


def test_registered_as_toy() -> None:
    assert get_game("toy") is ToyGame
    assert ToyGame.Params is ToyParams


def test_same_seed_same_run_other_seed_other_run() -> None:
    config = DeviceConfig(ordering="random", block_gas_limit=CONGESTED)
    a = ToyGame().run(ToyParams(), config, 3)
    b = ToyGame().run(ToyParams(), config, 3)
    c = ToyGame().run(ToyParams(), config, 4)
    assert a == b
    assert a.state_hash != c.state_hash
    assert a.blocks == 20 and len(a.tables["blocks"]) == 20


def test_accounting_is_consistent() -> None:
    result = ToyGame().run(ToyParams(), DeviceConfig(block_gas_limit=CONGESTED), 1)
    m, blocks = result.metrics, result.tables["blocks"]
    assert m["included"] + m["pending"] == m["submitted"]
    assert m["gas_used"] == sum(b["gas_used"] for b in blocks)
    # each transfer: its intrinsic gas (calldata depends on the amount's bytes) + one op
    assert m["included"] * MIN_TRANSFER_GAS <= m["gas_used"] <= m["included"] * TRANSFER_GAS
    assert m["included"] == sum(b["txs"] for b in blocks)
    assert all(b["gas_used"] <= CONGESTED for b in blocks)
    assert m["pending"] > 0 and m["crowded_out"] > 0  # blocks really are full
    assert 0 < m["reverted"] < m["included"]  # some transfers overspend


def test_uncongested_blocks_include_everything_at_once() -> None:
    m = ToyGame().run(ToyParams(), DeviceConfig(), 4).metrics
    assert m["included"] == m["submitted"] == 123
    assert m["pending"] == m["crowded_out"] == 0
    assert m["mean_delay"] == 0.0 and m["priority_advantage"] == 0.0
    assert m["final_base_fee"] < 1_000  # empty-ish blocks: EIP-1559 lowers the base fee


def test_private_mempool_everyone_tips_one_so_priority_is_fcfs() -> None:
    for seed in range(3):
        fcfs = ToyGame().run(
            ToyParams(),
            DeviceConfig(ordering="fcfs", mempool="private", block_gas_limit=CONGESTED),
            seed,
        )
        prio = ToyGame().run(
            ToyParams(),
            DeviceConfig(ordering="priority", mempool="private", block_gas_limit=CONGESTED),
            seed,
        )
        assert fcfs.metrics["tips_paid"] == fcfs.metrics["gas_used"]  # a tip of 1 per gas
        assert prio.state_hash == fcfs.state_hash  # equal tips: priority orders by arrival


@pytest.mark.parametrize("seed", range(10))
def test_under_priority_ordering_value_buys_position(seed: int) -> None:
    # With visible tips and a priority rule, high-value transfers wait less than low-value.
    assert play(seed, ordering="priority")["priority_advantage"] > 0


def test_priority_advantage_is_larger_under_priority_than_fcfs() -> None:
    priority = statistics.mean(
        play(s, ordering="priority")["priority_advantage"] for s in range(10)
    )
    fcfs = statistics.mean(play(s, ordering="fcfs")["priority_advantage"] for s in range(10))
    assert priority == pytest.approx(0.5133960597680562, rel=1e-12)
    assert fcfs == pytest.approx(0.07551537614169965, rel=1e-12)
