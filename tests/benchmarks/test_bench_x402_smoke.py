"""bench_x402.py, quick: it runs and reports gas for every PaymentToken write and a
paid call's latency, in process, with the facilitator over HTTP, and settling through
a node."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("extra", [[], ["--remote"], ["--node"]])
def test_bench_x402_quick_run(extra: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_x402.py"), "--quick", "--json", *extra],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    gas = report["gas_per_call"]
    assert set(gas) == {
        "deposit",
        "withdraw",
        "transfer",
        "transferWithAuthorization",
        "receiveWithAuthorization",
        "cancelAuthorization",
    }
    assert gas["deposit"] == 49_280 and gas["withdraw"] == 49_224 and gas["transfer"] == 51_994
    assert abs(gas["receiveWithAuthorization"] - 69_650) <= 12 * 64
    assert report["calls"] == 20 and report["paid_call_p50_ms"] > 0
    assert report["facilitator"] == ("http" if extra == ["--remote"] else "in-process")
    assert report["device"] == ("node" if extra == ["--node"] else "embedded")
