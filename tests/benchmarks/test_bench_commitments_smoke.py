"""bench_commitments.py at a tiny size: the workload resolves as the theory says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_commitments_small_run_resolves_every_structure() -> None:
    out = (
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "bench_commitments.py"),
                "--commitments",
                "200",
                "--json",
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    report = json.loads(out)
    # 80 pair members fire; 2 chains of 10: one fires, one collapses; 20 pattern pairs
    # fire; 40 program-equilibrium commitments: FairBot pairs cooperate, PrudentBot and
    # DefectBot pairs defect.
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from benchmarks.bench_commitments import workload

    pd = [c for c in workload(200, 0, np.random.default_rng(0)) if c.label == "pd"]
    docs = [c.to_json() for c in pd]
    fair_pairs = sum('"fires"' in d and '"provable"' not in d for d in docs) // 2
    assert report["commitments"] == 200
    assert report["fired"] == 80 + 20 + 40 + 2 * fair_pairs
    assert report["fired"] + report["still_pending"] == 200
    assert report["settled"] == report["fired"]
    assert report["groups_ok"] == report["groups"]
    assert report["worlds"] == 10  # the collapsing chain: one world per link
    assert {"resolve_block_s", "modal_solve_s", "meets_goal"} <= set(report)
