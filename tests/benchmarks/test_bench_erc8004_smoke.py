"""bench_erc8004.py, quick: it runs, reports a gas figure for every registry method of
the scenario, and a summary's gas grows by exactly one READ per further feedback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_erc8004_quick_run() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_erc8004.py"), "--quick", "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    gas = report["gas_per_call"]
    assert {"identity.register", "reputation.giveFeedback", "validation.validationResponse"} <= set(
        gas
    )
    assert all(21_000 < g < 1_000_000 for g in gas.values()), gas
    by_feedback = report["summary_gas_by_feedbacks"]
    assert by_feedback["10"] - by_feedback["1"] == 9 * 2_100
