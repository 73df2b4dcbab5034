"""``accord run --logs``: every run keeps its event log, and ``accord replay`` replays any
of them (exit 0, the run's own state hash last); an edited log fails."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.lab.provenance import library_versions, read_log_versions
from accord.lab.results import query, read_meta

runner = CliRunner()

SCENARIO = """
name = "logged-toy"
game = "toy"
seed = 11
seeds = 2

[params]
agents = 4
blocks = 6

[device]
block_gas_limit = 90_000

[sweep]
"device.ordering" = ["random", "batch"]
"""


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("logged")
    scenario = root / "logged-toy.toml"
    scenario.write_text(SCENARIO)
    out = root / "runs"
    result = runner.invoke(
        app, ["run", str(scenario), "--workers", "1", "--out", str(out), "--logs", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["logs"] == str(
        out / "logged-toy" / "logs"
    )
    return out / "logged-toy"


def test_every_run_keeps_its_log(logged: Path) -> None:
    rows = query(logged, "SELECT run_id, log, status, versions FROM results ORDER BY run")
    assert [r["log"] for r in rows] == [f"logs/{r['run_id']}.db" for r in rows]
    assert sorted(p.name for p in (logged / "logs").iterdir()) == [
        "p0-r0.db",
        "p0-r1.db",
        "p1-r0.db",
        "p1-r1.db",
    ]
    for row in rows:
        assert json.loads(row["versions"]) == library_versions()
        assert read_log_versions(logged / row["log"]) == library_versions()
    meta = json.loads((logged / "meta.json").read_text())
    assert meta["logs"] == "logs" and meta["versions"] == library_versions()
    assert read_meta(logged).runs == 4


@pytest.mark.parametrize("run_id", ["p0-r0", "p0-r1", "p1-r0", "p1-r1"])
def test_replay_of_each_log_prints_the_runs_state_hash(logged: Path, run_id: str) -> None:
    expected = query(logged, "SELECT state_hash, blocks FROM results WHERE run_id = ?", [run_id])[0]
    result = runner.invoke(app, ["replay", str(logged / "logs" / f"{run_id}.db")])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1] == expected["state_hash"]
    assert f"replayed {expected['blocks']} blocks" in result.output
    assert "warning" not in result.output  # same installation: no version warning


def _copy(logged: Path, tmp_path: Path) -> Path:
    target = tmp_path / "edited.db"
    source = sqlite3.connect(str(logged / "logs" / "p0-r1.db"))
    dest = sqlite3.connect(str(target))
    source.backup(dest)
    source.close()
    dest.close()
    return target


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "UPDATE records SET state_hash = zeroblob(32) "
            "WHERE seq = (SELECT MAX(seq) FROM records)",
            "block",
        ),
        (
            "DELETE FROM records WHERE seq = (SELECT MIN(seq) FROM records WHERE kind = 'block')",
            "block",
        ),
        (  # the design is in the genesis hash: an edited rule is named
            "UPDATE meta SET value = replace(value, '\"random\"', '\"fcfs\"') WHERE key = 'config'",
            "config.ordering",
        ),
        ("UPDATE meta SET value = '12' WHERE key = 'seed'", "seed"),
    ],
)
def test_an_edited_log_fails_replay(logged: Path, tmp_path: Path, sql: str, message: str) -> None:
    path = _copy(logged, tmp_path)
    db = sqlite3.connect(str(path))
    with db:
        changed = db.execute(sql).rowcount
    db.close()
    assert changed == 1
    result = runner.invoke(app, ["replay", str(path)])
    assert result.exit_code == 1, result.output
    assert "error" in result.output and message in result.output
    assert "Traceback" not in result.output


def test_replay_warns_in_one_line_when_versions_differ(logged: Path, tmp_path: Path) -> None:
    path = _copy(logged, tmp_path)
    db = sqlite3.connect(str(path))
    with db:
        db.execute("UPDATE versions SET value = '\"1.0.0\"' WHERE key = 'numpy'")
    db.close()
    result = runner.invoke(app, ["replay", str(path)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning")]
    assert len(warnings) == 1
    assert f"numpy 1.0.0 -> {library_versions()['numpy']}" in warnings[0]


def test_without_logs_no_logs_are_kept(logged: Path, tmp_path: Path) -> None:
    scenario = tmp_path / "plain.toml"
    scenario.write_text(SCENARIO.replace('"logged-toy"', '"plain-toy"'))
    result = runner.invoke(app, ["run", str(scenario), "--workers", "1", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "plain-toy" / "logs").exists()
    assert "log" not in {
        r["column_name"] for r in query(tmp_path / "plain-toy", "DESCRIBE results")
    }


def test_mac_runs_keep_their_key_file_and_replay_with_it(tmp_path: Path) -> None:
    """Under the MAC a log needs its keys to be checked: the lab keeps <run-id>.keys
    beside it; with --keys it replays to the run's state hash, without it replay
    refuses (naming the key file)."""
    scenario = tmp_path / "mac.toml"
    text = SCENARIO.replace('"logged-toy"', '"mac-toy"').replace("seeds = 2", "seeds = 1")
    scenario.write_text(text.replace("[device]\n", '[device]\nsignatures = "mac"\n'))
    out = tmp_path / "runs"
    result = runner.invoke(
        app, ["run", str(scenario), "--workers", "1", "--out", str(out), "--logs", "--json"]
    )
    assert result.exit_code == 0, result.output
    logs = out / "mac-toy" / "logs"
    assert sorted(p.name for p in logs.iterdir()) == [
        "p0-r0.db",
        "p0-r0.keys",
        "p1-r0.db",
        "p1-r0.keys",
    ]
    [row] = query(out / "mac-toy", "SELECT state_hash FROM results WHERE run_id = 'p1-r0'")
    replayed = runner.invoke(
        app, ["replay", str(logs / "p1-r0.db"), "--keys", str(logs / "p1-r0.keys")]
    )
    assert replayed.exit_code == 0, replayed.output
    assert replayed.output.strip().splitlines()[-1] == row["state_hash"]
    assert "signatures checked (mac)" in replayed.output
    wrong = runner.invoke(
        app, ["replay", str(logs / "p1-r0.db"), "--keys", str(logs / "p0-r0.keys")]
    )
    assert wrong.exit_code == 1
    bare = runner.invoke(app, ["replay", str(logs / "p1-r0.db")])
    assert bare.exit_code == 1 and "key file" in bare.output
