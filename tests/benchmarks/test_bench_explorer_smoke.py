"""bench_explorer.py, small: it runs and reports, for each method at both chain sizes, a
time and the rows answered (the pages are full, so the sizes compare like with like)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_explorer_small_run() -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_explorer.py"),
            *("--blocks", "60", "--per-block", "10", "--accounts", "220", "--repeat", "2"),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert (report["blocks_small"], report["blocks_large"]) == (6, 60)
    assert report["transactions_large"] == 600
    methods = report["methods"]
    assert set(methods) == {
        "listAccounts",
        "getAccountTransactions",
        "getStorage",
        "getBlock (reference)",
        "getLogs (reference)",
    }
    for row in methods.values():
        assert row["small_us"] > 0 and row["large_us"] > 0
        assert row["ratio"] == row["large_us"] / row["small_us"]
    # a full page of 100 accounts (offset 110 of 220 + treasury) at both sizes
    assert methods["listAccounts"]["small_rows"] == methods["listAccounts"]["large_rows"] == 100
    # a0 sends every 5th transfer: 12 by block 6 (none past offset 50), 120 by block 60
    assert methods["getAccountTransactions"]["small_rows"] == 0
    assert methods["getAccountTransactions"]["large_rows"] == 70
