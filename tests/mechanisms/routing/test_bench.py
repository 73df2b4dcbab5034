"""Smoke test of benchmarks/bench_routing.py at a tiny size: it runs and ends in JSON.

Nothing is timed here; only the report's shape and its certificates are checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_bench_routing_smoke() -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_routing.py", "--sizes", "12", "--repeat", "1", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    for key in ("ms_arbitrage_12", "ms_swap_12", "ms_arbitrage_float_12", "ms_swap_float_12"):
        assert report[key] > 0
    assert set(report["rel_gap"]) == {"arbitrage_12", "swap_12"}
    assert 0 <= report["max_rel_gap"] <= 1e-6


def test_bench_routing_depth_smoke() -> None:
    """Swaps of 1e-1..1e-13 of the depth: each within 1e-8 of the merged pool's exact
    output, never above it, and certified."""
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_routing_depth.py", "--repeat", "1", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(report["swaps"]) == 13
    for row in report["swaps"].values():
        assert row["short"] >= 0 and row["ms"] > 0
    assert 1 - 1e-8 <= report["min_ratio"] <= 1
    assert report["max_rel_gap"] <= 1e-7
