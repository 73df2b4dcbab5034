"""bench_node.py, tiny and without anvil: the JSON keys, the counts, and the end-of-run
verification, which must fail loudly when a transaction was not acknowledged as signed,
not included, or a balance is not what the workload implies."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.node_accord import AccordNode
from benchmarks.node_load import LoadError, Plan, percentile, run_load

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "bench_node.py"
KEYS = {
    "tx_per_s",
    "p50_ms",
    "p99_ms",
    "ratio_vs_anvil",
    "anvil_tx_per_s",
    "anvil_p50_ms",
    "anvil_p99_ms",
    "include_p50_ms",
    "include_p99_ms",
    "batch_tx_per_s",
    "batch_p50_ms",
    "batch_p99_ms",
    "batch_ratio_vs_anvil",
    "anvil_batch_tx_per_s",
    "K",
    "counts",
    "verified",
    "anvil_reason",
    "goal",
    "cpu_us_per_tx",
    "cpu_ratio_vs_anvil",
    "tx_per_s_runs",
}


def test_bench_node_tiny_run_without_anvil() -> None:
    args = ["--json", "--no-anvil", "-k", "3", "--txs", "8", "--batch", "4", "--repeats", "2"]
    done = subprocess.run(
        [sys.executable, str(BENCH), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report.keys() >= KEYS
    assert report["K"] == 3 and report["verified"] is True
    # 3 clients x 8 transactions x 2 repetitions, one per request or 4 per batch.
    assert report["counts"]["single"]["accord"] == {"txs": 48, "requests": 48}
    assert report["counts"]["batch"]["accord"] == {"txs": 48, "requests": 12}
    assert report["counts"]["single"]["anvil"] is None
    assert report["tx_per_s"] > 0 and report["batch_tx_per_s"] > 0
    runs = report["tx_per_s_runs"]
    assert len(runs) == 2 and report["tx_per_s"] == pytest.approx(sum(runs) / 2, abs=0.2)
    assert report["cpu_us_per_tx"] > 0 and report["cpu_ratio_vs_anvil"] is None
    assert 0 < report["p50_ms"] <= report["p99_ms"]
    assert report["include_p50_ms"] <= report["include_p99_ms"]
    for key in ("ratio_vs_anvil", "anvil_tx_per_s", "anvil_p99_ms", "batch_ratio_vs_anvil"):
        assert report[key] is None
    assert report["anvil_reason"] == "--no-anvil" and report["goal"]["met"] is None


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    with pytest.raises(ValueError):
        percentile([], 50)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccordNode]:
    running = AccordNode(2, 50, tmp_path_factory.mktemp("bench-node"), 100)
    running.start()
    try:
        running.setup()
        yield running
    finally:
        running.stop()


def _load(node: AccordNode, plans: list[Plan]) -> None:
    asyncio.run(run_load(node, "127.0.0.1", node.port, plans, mode="t", timeout_s=20))


def test_verification_passes_then_catches_a_wrong_balance(node: AccordNode) -> None:
    _load(node, node.plans(4, 2))
    node.verify()
    node.transfers[0] += 1  # the workload claims one more transfer than was sent
    with pytest.raises(LoadError, match="sink holds"):
        node.verify()
    node.transfers[0] -= 1
    node.moves[1] += 1
    with pytest.raises(LoadError, match="escrow c1 holds"):
        node.verify()
    node.moves[1] -= 1
    node.sent.append("ab" * 32)  # acknowledged, so it must be in a block
    with pytest.raises(LoadError, match="not included"):
        node.verify()
    node.sent.pop()
    node.nonces[0] += 1
    with pytest.raises(LoadError, match="nonce"):
        node.verify()
    node.nonces[0] -= 1
    node.verify()


def test_a_refused_or_misanswered_send_fails_the_run(node: AccordNode) -> None:
    plans = node.plans(2, 1)
    replayed = Plan(plans[0].bodies[:1], plans[0].hashes[:1])
    _load(node, [plans[0], plans[1]])
    with pytest.raises(LoadError, match="refused"):  # the same signed transaction again
        _load(node, [replayed])
    fresh = node.plans(1, 1)
    wrong = Plan(fresh[0].bodies, [["00" * 32]])  # the node answers another hash
    with pytest.raises(LoadError, match="answered"):
        _load(node, [wrong, fresh[1]])


def test_without_anvil_the_reason_is_reported_never_a_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks import node_anvil

    monkeypatch.setenv("ACCORD_ANVIL", str(tmp_path / "no-such-anvil"))
    path, reason = node_anvil.anvil_binary()
    assert path is None and "does not run" in reason
    monkeypatch.delenv("ACCORD_ANVIL")
    monkeypatch.setattr(node_anvil, "CACHE", tmp_path / "empty-cache")
    assert node_anvil.anvil_binary(install=False) == (
        None,
        f"anvil not found at {tmp_path / 'empty-cache/node_modules/.bin/anvil'} "
        "(and not installing)",
    )
    monkeypatch.setattr(node_anvil.shutil, "which", lambda name: None)
    path, reason = node_anvil.anvil_binary()
    assert path is None and reason == "npm is not installed, so @foundry-rs/anvil cannot be"
