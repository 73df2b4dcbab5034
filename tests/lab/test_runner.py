"""The runner: seed derivation, expansion, executors and failure recording."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

import tests.lab.probe  # noqa: F401  (registers lab_probe)
from accord.device.config import DeviceConfig
from accord.games.toy import MIN_TRANSFER_GAS, TRANSFER_GAS, ToyGame, ToyParams
from accord.lab.runner import (
    InProcess,
    LocalPool,
    derive_seed,
    execute_run,
    expand,
    make_executor,
    run_sweep,
)
from accord.lab.scenario import parse_scenario

TOY = """
game = "toy"
seed = 11
seeds = 2

[params]
agents = 4
blocks = 6

[device]
block_gas_limit = 90_000

[sweep]
"device.ordering" = ["fcfs", "priority"]
"device.mempool" = ["public", "private"]
"""


def test_derive_seed_is_pinned_and_follows_the_documented_recipe() -> None:
    # Test vectors: a change here changes every stored result.
    assert derive_seed(0, {"device.ordering": "fcfs"}, 0) == 373148158239884525
    assert derive_seed(2024, {}, 3) == 5352990256029271574
    assert derive_seed(7, None, 1) == 2021251017632032385
    # The recipe in the runner's docstring, written out independently.
    point = {"params.agents": 8, "device.ordering": "batch"}
    text = json.dumps(point, sort_keys=True, separators=(",", ":"))
    digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
    words = [int.from_bytes(digest[k : k + 4], "little") for k in range(0, 16, 4)]
    sequence = np.random.SeedSequence(entropy=5, spawn_key=(*words, 4))
    expected = int(sequence.generate_state(1, np.uint64)[0]) >> 1
    assert derive_seed(5, point, 4) == expected
    assert derive_seed(5, dict(reversed(point.items())), 4) == expected  # key order irrelevant


def test_seeds_differ_by_point_replicate_and_root_but_not_with_crn() -> None:
    a, b = {"device.ordering": "fcfs"}, {"device.ordering": "batch"}
    seeds = {derive_seed(r, p, k) for r in (0, 1) for p in (a, b) for k in range(5)}
    assert len(seeds) == 20
    assert all(0 <= s < 2**63 for s in seeds)
    assert derive_seed(3, None, 2) == derive_seed(3, None, 2)
    with pytest.raises(ValueError, match="replicate"):
        derive_seed(0, a, -1)


def test_expand_orders_runs_and_derives_each_seed() -> None:
    scenario = parse_scenario(TOY)
    specs = expand(scenario)
    assert len(specs) == 8
    assert [s.run_id for s in specs[:3]] == ["p0-r0", "p0-r1", "p1-r0"]
    assert [s.index for s in specs] == list(range(8))
    for spec in specs:
        point = scenario.points[spec.point]
        assert spec.values == point.values
        assert spec.seed == derive_seed(11, point.values, spec.replicate)
        assert spec.device == point.device and spec.game == "toy"
    assert len({s.seed for s in specs}) == 8
    crn = expand(parse_scenario("common_random_numbers = true\n" + TOY))
    assert [s.seed for s in crn[:2]] == [s.seed for s in crn[2:4]]  # same draws per point
    assert [s.seed for s in crn[:2]] == [derive_seed(11, None, 0), derive_seed(11, None, 1)]


def test_a_run_is_the_game_itself() -> None:
    spec = expand(parse_scenario(TOY))[5]
    outcome = execute_run(spec)
    assert outcome.ok and outcome.result is not None
    direct = ToyGame().run(ToyParams(agents=4, blocks=6), spec.device, spec.seed)
    assert outcome.result == direct
    assert outcome.result.blocks == 6
    m = outcome.result.metrics
    assert m["included"] + m["pending"] == m["submitted"]
    # each transfer: its intrinsic gas (with calldata, EIP-2028) and one ledger op
    assert m["included"] * MIN_TRANSFER_GAS <= m["gas_used"] <= m["included"] * TRANSFER_GAS
    assert m["included"] > 0


def test_workers_1_and_2_give_identical_results() -> None:
    scenario = parse_scenario(TOY)
    serial = run_sweep(scenario, workers=1)
    pooled = run_sweep(scenario, executor=LocalPool(2))
    assert [o.spec.run_id for o in pooled.outcomes] == [o.spec.run_id for o in serial.outcomes]
    for a, b in zip(serial.outcomes, pooled.outcomes, strict=True):
        assert a.ok and b.ok
        assert a.result == b.result  # metrics, state hash, blocks and tables
    hashes = {o.result.state_hash for o in serial.outcomes if o.result}
    assert len(hashes) == 8  # every run is a different run


def test_failures_are_recorded_not_raised() -> None:
    scenario = parse_scenario(
        'game = "lab_probe"\nseeds = 2\n[sweep]\n"params.fail" = [false, true]\n'
    )
    for executor in (InProcess(), LocalPool(2)):
        sweep = run_sweep(scenario, executor=executor)
        assert [o.status for o in sweep.outcomes] == ["ok", "ok", "error", "error"]
        bad = sweep.failed[0]
        assert bad.result is None
        assert bad.error == f"ValueError: probe told to fail (seed {bad.spec.seed})"
        good = sweep.outcomes[0].result
        assert good is not None and good.metrics["residue"] == sweep.outcomes[0].spec.seed % 1000


def test_make_executor_picks_in_process_for_one_worker() -> None:
    assert isinstance(make_executor(1, 10), InProcess)
    assert isinstance(make_executor(4, 1), InProcess)  # one run needs no pool
    pool = make_executor(3, 10)
    assert isinstance(pool, LocalPool) and pool.workers == 3
    with pytest.raises(ValueError, match="at least 1"):
        make_executor(0, 10)


def test_device_config_reaches_the_game() -> None:
    scenario = parse_scenario(
        'game = "lab_probe"\n[sweep]\n"device.block_gas_limit" = [100_000, 200_000]\n'
    )
    sweep = run_sweep(scenario, workers=1)
    assert [o.result.metrics["gas_limit"] for o in sweep.outcomes if o.result] == [
        100_000,
        200_000,
    ]
    assert sweep.outcomes[0].spec.device == DeviceConfig(block_gas_limit=100_000)
