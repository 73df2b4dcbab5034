"""Smoke test of benchmarks/bench_deepfund.py at a tiny size: it ends in one JSON line
with the promised keys and consistent figures. Nothing here is timed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_bench_deepfund_smoke() -> None:
    done = subprocess.run(
        [
            sys.executable, "benchmarks/bench_deepfund.py",
            "--nodes", "2000", "--edges", "20000", "--repeat", "1", "--lu-sizes", "300", "--json",
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"s_1m_nodes", "gen_s", "iterations", "error_bound", "gmres_s"} <= set(out)
    assert out["nodes"] == 2000 and out["edges"] == 20000
    assert out["method"] == "neumann" and out["error_bound"] <= 1e-12
    assert abs(out["shares_sum"] - 1.0) <= 1e-12
    assert out["gmres_error_bound"] <= 1e-12 and out["gmres_max_abs_diff"] <= 1e-12
    (small,) = out["spsolve_small"]
    assert small["nodes"] == 300 and small["max_abs_diff"] <= 1e-12
