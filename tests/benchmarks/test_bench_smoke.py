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

from accord.device import DeviceConfig, accelerator

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "bench_device.py"
SOAK = ROOT / "benchmarks" / "soak_device.py"
HAS_BOA = importlib.util.find_spec("boa") is not None

BENCH_KEYS = {
    "accord_calls_per_s",
    "titanoboa_calls_per_s",
    "ratio_vs_titanoboa",
    "calls_per_s_ed25519",
    "ratio_vs_titanoboa_ed25519",
    "accord_calls_per_s_cpu",
    "ratio_vs_titanoboa_cpu",
    "stat",
    "clock",
    "calls",
    "block_size",
    "python",
}
HAS_ED25519 = "signatures" in DeviceConfig.model_fields
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


def run_text(script: Path, *args: str) -> str:
    """Run a script from the repository root; assert it exits 0; return its stdout."""
    done = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip(), f"no output; stderr: {done.stderr[-3000:]}"
    return done.stdout


def run_script(script: Path, *args: str) -> dict[str, Any]:
    """Run a script from the repository root; return its last stdout line as JSON."""
    lines = run_text(script, *args).strip().splitlines()
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
    assert report["ratio_vs_titanoboa_ed25519"] is None
    assert report["stat"] == "median" and report["clock"] == "wall"
    if HAS_ED25519:
        assert report["calls_per_s_ed25519"] > 0
    else:
        assert report["calls_per_s_ed25519"] is None
    # Which implementation of the hot path ran, as the device reports it.
    modules = accelerator.compiled_modules()
    assert report["compiled_modules"] == modules
    assert report["hot_path"] == ("compiled" if all(modules.values()) else "pure")


def test_bench_device_median_of_interleaved_repetitions_by_both_clocks() -> None:
    args = ("--json", "--calls", "1000", "--block-size", "500", "--repeats", "3", "--no-titanoboa")
    report = run_script(BENCH, *args, "--clock", "cpu")
    assert report["clock"] == "cpu"
    for key in ("accord_seconds", "accord_seconds_wall"):
        assert len(report[key]) == 3 and all(s > 0 for s in report[key])
    # The headline is the median repetition of the chosen clock (seconds are rounded to
    # 0.1 ms in the report, hence the tolerance).
    median = sorted(report["accord_seconds"])[1]
    assert report["accord_calls_per_s"] == pytest.approx(1000 / median, rel=0.05)
    median_wall = sorted(report["accord_seconds_wall"])[1]
    assert report["accord_calls_per_s_wall"] == pytest.approx(1000 / median_wall, rel=0.05)
    best = run_script(
        BENCH, "--json", "--calls", "200", "--repeats", "3", "--no-titanoboa", "--stat", "best"
    )
    assert best["stat"] == "best"


def test_bench_device_side_by_side() -> None:
    report = run_script(BENCH, "--json", "--calls", "200", "--boa-calls", "50", "--repeats", "1")
    assert report.keys() >= BENCH_KEYS
    assert report["accord_calls_per_s"] > 0
    if HAS_BOA:
        assert report["titanoboa_calls_per_s"] > 0
        assert report["ratio_vs_titanoboa"] > 0
        assert report["ratio_vs_titanoboa_cpu"] > 0
        assert (report["ratio_vs_titanoboa_ed25519"] is not None) == HAS_ED25519
    else:
        assert report["titanoboa_calls_per_s"] is None
        assert report["ratio_vs_titanoboa"] is None


def test_bench_device_table_mode() -> None:
    out = run_text(BENCH, "--calls", "200", "--repeats", "1", "--no-titanoboa")
    assert "accord" in out


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


def test_profile_device_counts_the_same_opcodes_every_run() -> None:
    """The opcode profile of bench_device's workload: deterministic (the same counts on
    two runs, whatever the load), split between submit and build_block, and the
    functions listed are among what was counted."""
    profile = ROOT / "benchmarks" / "profile_device.py"
    first = run_script(profile, "--json", "--calls", "40", "--top", "5")
    second = run_script(profile, "--json", "--calls", "40", "--top", "5")
    assert first["opcodes_per_tx"] == second["opcodes_per_tx"]
    assert first["by_function"] == second["by_function"]
    assert first["opcodes_per_tx"] == pytest.approx(
        first["submit_opcodes_per_tx"] + first["build_opcodes_per_tx"], abs=0.2
    )
    assert first["build_opcodes_per_tx"] > 0
    assert len(first["by_function"]) == 5
    # Submit's common case (accord.device.fast_submit) is counted on the pure path; where
    # the install compiled it, Device.submit is the compiled Gate.submit itself, which
    # runs no bytecode.
    pure = first["hot_path"] == "pure"
    assert ("fast_submit.py:submit" in first["by_function"]) == pure
    assert (first["submit_opcodes_per_tx"] > 0) == pure
    assert sum(first["by_function"].values()) <= first["opcodes_per_tx"] + 0.5
    assert run_text(profile, "--calls", "20").strip()  # the table mode runs too
