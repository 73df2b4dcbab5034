"""Smoke tests of the benchmark scripts: they run at a tiny size and end in a JSON line.

Nothing here is timed; the figures are only checked for shape and consistency.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "bench_device.py"
SOAK = ROOT / "benchmarks" / "soak_device.py"
HAS_BOA = importlib.util.find_spec("boa") is not None

BENCH_KEYS = {
    "accord_calls_per_s",
    "titanoboa_calls_per_s",
    "ratio_vs_titanoboa",
    "calls",
    "block_size",
    "python",
}
SOAK_KEYS = {
    "txs",
    "blocks",
    "included",
    "reverted",
    "rejected",
    "elapsed_s",
    "tx_per_s",
    "state_hash",
    "deterministic",
}


def run_script(script: Path, *args: str) -> dict[str, Any]:
    """Run a script from the repository root; return its last stdout line as JSON."""
    done = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert lines, f"no output; stderr: {done.stderr[-3000:]}"
    report = json.loads(lines[-1])
    assert isinstance(report, dict)
    return report


def test_bench_device_without_titanoboa_reports_null() -> None:
    report = run_script(BENCH, "--json", "--calls", "200", "--repeats", "1", "--no-titanoboa")
    assert report.keys() >= BENCH_KEYS
    assert report["accord_calls_per_s"] > 0
    assert report["calls"] == 200
    assert report["titanoboa_calls_per_s"] is None
    assert report["ratio_vs_titanoboa"] is None


def test_bench_device_side_by_side() -> None:
    report = run_script(BENCH, "--json", "--calls", "200", "--boa-calls", "50", "--repeats", "1")
    assert report.keys() >= BENCH_KEYS
    assert report["accord_calls_per_s"] > 0
    if HAS_BOA:
        assert report["titanoboa_calls_per_s"] > 0
        assert report["ratio_vs_titanoboa"] > 0
    else:
        assert report["titanoboa_calls_per_s"] is None
        assert report["ratio_vs_titanoboa"] is None


def test_bench_device_table_mode() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--calls", "200", "--repeats", "1", "--no-titanoboa"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "accord" in done.stdout


def test_soak_device_json() -> None:
    report = run_script(SOAK, "--txs", "2000", "--json")
    assert report.keys() >= SOAK_KEYS
    assert report["txs"] >= 2000
    assert report["blocks"] >= 2
    accounted = report["included"] + report["rejected"] + report["bundle_txs_dropped"]
    assert accounted == report["txs"]
    assert report["included"] == report["succeeded"] + report["reverted"] + report["out_of_gas"]
    assert report["reverted"] > 0 and report["rejected"] > 0
    assert report["deterministic"] is None
    assert len(bytes.fromhex(report["state_hash"])) == 32


def test_soak_device_is_deterministic_and_seed_dependent() -> None:
    args = ("--txs", "1000", "--block-size", "250", "--accounts", "50", "--json")
    first = run_script(SOAK, *args, "--seed", "3", "--check-determinism")
    assert first["deterministic"] is True
    other = run_script(SOAK, *args, "--seed", "4")
    assert other["state_hash"] != first["state_hash"]


@pytest.mark.parametrize("extra", [(), ("--check-determinism",)])
def test_soak_device_progress_mode_ends_in_json(extra: tuple[str, ...]) -> None:
    report = run_script(SOAK, "--txs", "500", "--block-size", "100", *extra)
    assert report.keys() >= SOAK_KEYS
    assert report["deterministic"] is (True if extra else None)
