"""Smoke test of benchmarks/bench_bandit_mdp.py: a tiny run ends in a JSON line holding the
published point, the table and the selfish-mining shares."""

from __future__ import annotations

import json

import pytest

from benchmarks.bench_bandit_mdp import main


def test_a_tiny_run_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    result = main(
        ["--tol", "0.25", "--cutoffs", "10", "--multipliers", "4", "--share-tol", "0.01", "--json"]
    )
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed == result
    assert abs(result["published_point"]["model"] - 4.0) <= 0.25
    assert len(result["table"]) == 12
    for row in result["table"]:
        assert 0 < row["mdp_stale"] <= row["mdp"] + 0.25 and row["ruin_g1"] < row["ruin_g6"]
    assert result["optimal_selfish_share_gamma0"][0]["alpha_third"] > 0.334
    assert abs(result["bev_forking_threshold"][0]["min_share"] - 0.1) <= 0.01
