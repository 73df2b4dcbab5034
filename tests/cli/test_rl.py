"""`accord rl train`: a short real run, its JSON line, and one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app

runner = CliRunner()


def test_train_prints_the_curve_saves_the_model_and_ends_with_json(tmp_path: Path) -> None:
    pytest.importorskip("sb3_contrib")
    pytest.importorskip("supersuit")
    pytest.importorskip("torch")
    model = tmp_path / "pd.zip"
    args = ["rl", "train", "commitment_pd_v0", "-p", "rounds=2", "-p", 'menu=["CooperateBot",'
            '"DefectBot"]', "--timesteps", "256", "--copies", "1", "--eval-every", "128",
            "--eval-episodes", "2", "--save", str(model), "--json"]  # fmt: skip
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output.strip().splitlines()[-1])
    assert doc["env"] == "commitment_pd_v0" and doc["params"]["rounds"] == 2
    assert [p["timesteps"] for p in doc["curve"]] == [0, 128, 256]
    assert len(doc["curve"][-1]["action_shares"]) == 2
    assert model.stat().st_size > 0
    again = runner.invoke(app, args)
    assert json.loads(again.output.strip().splitlines()[-1]) == doc  # same seed, same curve


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no_such_env"], "unknown env 'no_such_env'"),
        (["commitment_pd_v0", "-p", "colour=red"], "colour"),
        (["commitment_pd_v0", "-p", "rounds=0"], "rounds"),
        (["commitment_pd_v0", "--contract", "1"], "has no contract_menu"),
        (["commitment_pd_v0", "--timesteps", "0"], "timesteps"),
        (["commitment_pd_v0", "--copies", "100000"], "copies"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(args: list[str], message: str) -> None:
    pytest.importorskip("sb3_contrib")
    pytest.importorskip("supersuit")
    pytest.importorskip("torch")
    r = runner.invoke(app, ["rl", "train", *args])
    assert r.exit_code == 1, r.output
    assert message in r.output and len(r.output.strip().splitlines()) == 1


@pytest.mark.parametrize("spec", ["rounds", "=5", "1x=2"])
def test_malformed_params_are_usage_errors(spec: str) -> None:
    r = runner.invoke(app, ["rl", "train", "commitment_pd_v0", "-p", spec])
    assert r.exit_code == 2 and "KEY=VALUE" in r.output


def test_duplicate_params_and_bad_contracts_are_usage_errors() -> None:
    r = runner.invoke(app, ["rl", "train", "commitment_pd_v0", "-p", "rounds=2", "-p", "rounds=3"])
    assert r.exit_code == 2 and "given twice" in r.output
    r = runner.invoke(app, ["rl", "train", "commitment_pd_v0", "--contract", "-1"])
    assert r.exit_code == 2 and "menu index" in r.output


def test_every_registered_env_builds_and_the_matrix_env_takes_a_contract() -> None:
    from accord.envs.registry import ENVS, make

    assert {"matrix_dilemma_v0", "fishery_v0", "commitment_pd_v0", "bargaining_v0"} <= set(ENVS)
    for name in ENVS:
        assert make(name).possible_agents
    pytest.importorskip("sb3_contrib")
    pytest.importorskip("supersuit")
    pytest.importorskip("torch")
    args = ["rl", "train", "matrix_dilemma_v0", "-p", "rounds=2", "--contract", "3"]
    r = runner.invoke(app, [*args, "--timesteps", "64", "--copies", "1", "--sampled", "--json"])
    assert r.exit_code == 0, r.output
    assert "sampled policy" in r.output
    assert json.loads(r.output.strip().splitlines()[-1])["settings"]["contract"] == 3
    r = runner.invoke(app, [*args[:-1], "99", "--timesteps", "64"])
    assert r.exit_code == 1 and "contract must be 'sample' or a menu index" in r.output
