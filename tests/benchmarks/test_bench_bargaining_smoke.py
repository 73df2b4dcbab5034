"""bench_bargaining.py at a tiny size: every pair plays on the device, items settle."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_bargaining_episodes_part_runs_every_pair() -> None:
    out = (
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "bench_bargaining.py"),
                "--part",
                "episodes_per_s",
                "--instances",
                "3",
                "--wave",
                "40",
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
    assert report["dond_episodes"] == 3 * 25 and report["dond_pairs"] == 25
    assert report["episodes_per_s"] > 0
    assert report["dond_items_settled_exactly"] is True
    assert len(report["dond_agreement_rate_by_pair"]) == 25
    assert all(0 <= r <= 1 for r in report["dond_agreement_rate_by_pair"].values())
    pair = report["dond_by_pair"]["Conceder-Conceder"]
    assert set(pair) == {"joint_value_ratio", "pareto_rate", "nash_distance", "turns"}
    assert 0 < pair["joint_value_ratio"] <= 1 and pair["turns"] >= 1


def test_bench_bargaining_ratio_vs_mc_part_runs() -> None:
    """The quadrature part at a small draw count: every mechanism timed, quadrature exact
    to 1e-12 against the U[0,1]² closed forms and more accurate than Monte-Carlo."""
    out = (
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "bench_bargaining.py"),
                "--part",
                "ratio_vs_mc",
                "--draws",
                "20000",
                "--repeat",
                "1",
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
    assert report["mc_draws"] == 20_000
    assert report["quad_at_least_as_accurate"] is True
    assert report["quad_max_error"] < 1e-12 < report["mc_max_error"]
    assert report["ratio_vs_mc"] > 0
    assert set(report["ratio_vs_mc_by_mechanism"]) == {
        "k_double_auction",
        "posted_price",
        "second_best",
        "first_best",
        "vcg",
        "agv",
    }
