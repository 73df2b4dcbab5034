"""The ``accord`` command, driven through typer's CliRunner."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord import __version__
from accord.cli import app
from accord.contracts.vault import Vault
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, replay

runner = CliRunner()


def flat(text: str) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(text.split())


def make_run(path: Path) -> Device:
    genesis = Genesis(assets={"ETH": AssetSpec(issuer="t", alloc={"alice": 10**18})})
    device = Device(DeviceConfig(ordering="random"), genesis, seed=9, store=path)
    alice = device.account("alice")
    vault = device.deploy(alice, Vault)
    device.call(alice, vault, "deposit", "alice", 50)
    device.call(alice, vault, "move", "alice", "bob", 80)  # reverts
    device.build_blocks(2)
    device.log.close()  # type: ignore[attr-defined]
    return device


def test_replay_prints_the_final_state_hash_last(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    device = make_run(path)
    result = runner.invoke(app, ["replay", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1] == device.state_hash().hex()
    assert lines[-1] == device.head.state_hash.hex()
    assert "replayed 5 blocks" in result.output


def test_replay_of_a_missing_file_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    result = runner.invoke(app, ["replay", str(missing)])
    assert result.exit_code == 1
    assert "no event log at" in result.output and "nope.db" in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_replay_of_a_non_log_file(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not sqlite\n")
    result = runner.invoke(app, ["replay", str(text)])
    assert result.exit_code == 1
    assert "is not an accord event log" in flat(result.output)
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("UPDATE records SET state_hash=zeroblob(32) WHERE number=3", "block 3: replayed"),
        ("UPDATE records SET payload='{oops' WHERE number=2", "malformed block record"),
        ("UPDATE meta SET value='x' WHERE key='seed'", "is not an integer"),
        ("UPDATE records SET payload=replace(payload, ',50]', ',51]')", "altered"),
        ("DELETE FROM records WHERE number=1", "log has block 2 where 1 was expected"),
    ],
)
def test_replay_of_a_tampered_log_exits_1(tmp_path: Path, sql: str, message: str) -> None:
    path = tmp_path / "run.db"
    make_run(path)
    db = sqlite3.connect(path)
    with db:
        assert db.execute(sql).rowcount >= 1
    db.close()
    result = runner.invoke(app, ["replay", str(path)])
    assert result.exit_code == 1, result.output
    assert message in flat(result.output)
    assert result.output.startswith("error:")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("ordering", ["priority", "batch"])
def test_demo_runs_the_tour_and_its_log_replays(tmp_path: Path, ordering: str) -> None:
    out = tmp_path / "tour.db"
    result = runner.invoke(
        app, ["demo", "--ordering", ordering, "--mempool", "public", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    assert f"ordering={ordering}, mempool=public" in text
    assert "state hashes match" in text
    assert "blocks" in text and "receipts" in text
    assert "carol overdraws: reverted" in text
    replayed = replay(out)
    assert replayed.number == 9
    again = runner.invoke(app, ["replay", str(out)])
    assert again.exit_code == 0
    assert again.output.strip().splitlines()[-1] == replayed.state_hash().hex()


def test_demo_sealed_mempool_hides_contents(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--mempool", "sealed", "--out", str(tmp_path / "t.db")])
    assert result.exit_code == 0, result.output
    assert "sealed " in result.output  # others' transactions appear as envelopes
    assert "bob#0→" in result.output  # bob sees his own transaction in full


def test_demo_rejects_an_unknown_rule(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--ordering", "fastest", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert not (tmp_path / "x").exists()


def test_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.output.strip() == __version__
