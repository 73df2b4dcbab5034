"""bench_envs.py at a tiny size: every env (fishery included) is timed against its reference."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pettingzoo")

ROOT = Path(__file__).resolve().parents[2]


def test_bench_envs_small_run_reports_every_env() -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_envs.py"),
            "--steps",
            "120",
            "--episode",
            "40",
            "--repeats",
            "1",
            "--clock",
            "cpu",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["steps"] == 120
    envs = report["envs"]
    assert {"harvest_v0", "cleanup_v0", "matrix_dilemma_v0", "fishery_v0"} <= set(envs)
    assert len(report["load_1min"]) == 2 and report["cpus"] >= 1
    for name in (
        "harvest_v0",
        "cleanup_v0",
        "matrix_dilemma_v0",
        "matrix_dilemma_v0_unilateral",
        "fishery_v0",
    ):
        row = envs[name]
        assert "missing" not in row  # every env is on main
        assert row["ratio_vs_reference"] > 0
        assert row["ratio_vs_reference"] == pytest.approx(
            row["steps_per_s"] / row["reference_steps_per_s"], rel=0.01, abs=1e-4
        )
        assert 0 <= row["settled_share"] <= 1
    # random play cleans and eats sparse apples: some steps settle, each costs gas
    for name in ("harvest_v0", "cleanup_v0"):
        assert envs[name]["settled_share"] > 0 and envs[name]["gas_per_settlement"] > 20_000
    # random play under a stake of 100: player 0 defects about half the rounds, each pays
    assert envs["matrix_dilemma_v0_unilateral"]["settled_share"] > 0.2
