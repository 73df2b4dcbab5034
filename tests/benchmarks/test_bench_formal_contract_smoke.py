"""bench_formal_contract.py at a tiny size: it runs, reports every case, and each
settled step's gas lies between the intrinsic cost and the driver's gas limit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from accord.games.contracting import settle_gas_limit

ROOT = Path(__file__).resolve().parents[2]


def test_bench_formal_contract_small_run() -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_formal_contract.py"),
            "--parties",
            "2",
            "4",
            "--steps",
            "20",
            "--repeats",
            "1",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    cases = {(c["signatures"], c["parties"]): c for c in report["cases"]}
    assert set(cases) == {(s, n) for s in ("mac", "ed25519") for n in (2, 4)}
    for (_, n), case in cases.items():
        assert 21_000 < case["gas_per_step"] < settle_gas_limit(n), case
        assert case["us_per_step"] > 0
        # the same seeded features give the same gas under either signature scheme
        assert case["gas_per_step"] == cases[("mac", n)]["gas_per_step"]
