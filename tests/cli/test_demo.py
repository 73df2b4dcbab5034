"""``accord demo --out PATH`` never destroys what it did not write (issue 12): after
``--out README.md``, README.md used to be an SQLite file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.device import replay
from accord.device.store import is_event_log

runner = CliRunner()
README = "# my project\n\nDo not lose me.\n"


def demo(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["demo", "--mempool", "public", *args])
    return result.exit_code, result.stdout, result.stderr


def one_error(stderr: str, *words: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --out "), stderr
    for word in words:
        assert word in lines[0]


def test_a_text_file_is_refused_and_kept(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(README)
    code, out, err = demo("--out", str(readme))
    assert code == 1 and out == ""
    one_error(err, str(readme), "is not an accord event log", "--force")
    assert readme.read_text() == README
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]


def test_force_overwrites_a_file_that_is_not_a_log(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(README)
    code, _, err = demo("--out", str(readme), "--force")
    assert code == 0, err
    assert is_event_log(readme) and replay(readme).number == 9


def test_an_empty_file_and_a_foreign_sqlite_file_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert demo("--out", str(empty))[0] == 1 and empty.read_bytes() == b""
    import sqlite3

    other = tmp_path / "other.db"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE meta(key TEXT, value TEXT)")  # a meta table, but not a log's
    db.commit()
    db.close()
    before = other.read_bytes()
    code, _, err = demo("--out", str(other))
    assert code == 1
    one_error(err, "is not an accord event log")
    assert other.read_bytes() == before


def test_a_directory_is_refused_even_with_force(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    (folder / "keep.txt").write_text("x")
    for extra in ((), ("--force",)):
        code, _, err = demo("--out", str(folder), *extra)
        assert code == 1
        one_error(err, "is a directory", str(folder / "tour.db"))
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]


def test_a_missing_parent_is_not_created(tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "tour.db"
    code, _, err = demo("--out", str(out))
    assert code == 1
    one_error(err, str(tmp_path / "no" / "such"), "does not exist")
    assert not (tmp_path / "no").exists()


def test_a_symlink_is_refused_and_its_target_kept(tmp_path: Path) -> None:
    target = tmp_path / "README.md"
    target.write_text(README)
    link = tmp_path / "tour.db"
    link.symlink_to(target)
    code, _, err = demo("--out", str(link))
    assert code == 1
    one_error(err, "is a symbolic link", "its target is left alone")
    assert link.is_symlink() and target.read_text() == README
    dangling = tmp_path / "dangling.db"
    dangling.symlink_to(tmp_path / "elsewhere.db")
    assert demo("--out", str(dangling))[0] == 1
    assert not (tmp_path / "elsewhere.db").exists()  # nothing written through the link
    code, _, err = demo("--out", str(link), "--force")  # replaces the link, not the target
    assert code == 0, err
    assert not link.is_symlink() and is_event_log(link) and target.read_text() == README


def test_an_earlier_log_is_replaced(tmp_path: Path) -> None:
    out = tmp_path / "tour.db"
    assert demo("--out", str(out), "--seed", "1")[0] == 0
    first = replay(out).genesis_hash  # covers the seed
    code, _, err = demo("--out", str(out), "--seed", "2")
    assert code == 0, err
    assert is_event_log(out) and replay(out).genesis_hash != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tour.db"]  # closed: no sidecars


def test_the_default_out_makes_runs_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = demo()
    assert code == 0, err
    assert "created runs/" in out and is_event_log(tmp_path / "runs" / "tour.db")
    os.remove(tmp_path / "runs" / "tour.db")
