"""Smoke test: bench_defi runs at a tiny size and ends with its JSON line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_defi_tiny() -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_defi.py"),
            "--json",
            "--agents",
            "20",
            "--blocks",
            "5",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert data["s_20_agents_5_blocks"] > 0 and data["blocks"] >= 5
