"""Run directories replaced atomically: a kill at any step leaves the old results or the
new ones, whole, and :func:`recover` tidies what it left."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from accord.lab import rundir
from accord.lab.rundir import (
    RunDirBusy,
    link_tree,
    locked,
    new_sibling,
    recover,
    swap_in,
    write_atomic,
)


def make(directory: Path, content: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "meta.json").write_text(content)
    (directory / "sub").mkdir(exist_ok=True)
    (directory / "sub" / "x").write_text(content)
    return directory


def content(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): p.read_text()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def listing(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir())


@pytest.mark.parametrize("exchange", [True, False])
def test_swap_in_replaces_the_directory_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    if not exchange:  # a file system without renameat2(RENAME_EXCHANGE)
        monkeypatch.setattr(rundir, "_exchange", lambda a, b: False)
    target = make(tmp_path / "run", "old")
    swap_in(make(new_sibling(target), "new"), target)
    assert content(target) == {"meta.json": "new", "sub/x": "new"}
    assert listing(tmp_path) == ["run"]
    swap_in(make(new_sibling(tmp_path / "fresh"), "first"), tmp_path / "fresh")
    assert content(tmp_path / "fresh")["meta.json"] == "first"


def test_the_exchange_is_used_on_linux(tmp_path: Path) -> None:
    a, b = make(tmp_path / "a", "A"), make(tmp_path / "b", "B")
    if not rundir._exchange(a, b):
        pytest.skip("this file system has no RENAME_EXCHANGE")
    assert content(a)["meta.json"] == "B" and content(b)["meta.json"] == "A"


def test_a_kill_between_the_two_renames_is_undone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the exchange, the old directory is renamed aside first: a kill then leaves
    no run directory for an instant, and recover() puts the old one back."""
    monkeypatch.setattr(rundir, "_exchange", lambda a, b: False)
    target = make(tmp_path / "run", "old")
    build = make(new_sibling(target), "new")
    renames = []
    real = Path.rename

    def rename(self: Path, to: Path) -> Path:
        renames.append(self.name)
        if len(renames) == 2:
            raise KeyboardInterrupt  # killed between the two renames
        return real(self, to)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        swap_in(build, target)
    monkeypatch.setattr(Path, "rename", real)
    assert not target.exists()
    assert [n for n in listing(tmp_path) if n.startswith(".run.old-")]
    recover(tmp_path, "run")
    assert content(target) == {"meta.json": "old", "sub/x": "old"}
    assert listing(tmp_path) == ["run"]


def test_recover_removes_what_a_kill_left(tmp_path: Path) -> None:
    target = make(tmp_path / "run", "new")
    make(tmp_path / ".run.new-123", "half-built")
    make(tmp_path / ".run.old-456", "superseded")
    make(tmp_path / ".other.new-1", "another run's")
    recover(tmp_path, "run")
    assert content(target)["meta.json"] == "new"
    assert listing(tmp_path) == [".other.new-1", "run"]


def test_write_atomic_leaves_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    path = tmp_path / "part.parquet"
    path.write_text("old")

    def half(tmp: Path) -> None:
        tmp.write_text("ha")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, half)
    assert path.read_text() == "old" and listing(tmp_path) == ["part.parquet"]
    write_atomic(path, lambda tmp: tmp.write_text("new"))
    assert path.read_text() == "new" and listing(tmp_path) == ["part.parquet"]


def test_link_tree_shares_the_files(tmp_path: Path) -> None:
    source = make(tmp_path / "logs", "log")
    link_tree(source, tmp_path / "copy")
    assert content(tmp_path / "copy") == content(source)
    assert (tmp_path / "copy" / "meta.json").stat().st_ino == (source / "meta.json").stat().st_ino
    (tmp_path / "none").mkdir()
    link_tree(tmp_path / "none", tmp_path / "none-copy")
    assert (tmp_path / "none-copy").is_dir()


def _hold(out: str, ready: Any, done: Any) -> None:
    with locked(out, "run"):
        ready.set()
        done.wait(60)


def test_two_writers_of_one_name_are_refused(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    ready, done = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(str(tmp_path), ready, done))
    holder.start()
    try:
        assert ready.wait(120)
        busy = pytest.raises(RunDirBusy, match=r"another process is writing run 'run'")
        with busy, locked(tmp_path, "run"):
            pass
        with locked(tmp_path, "other"):  # another name is free
            pass
    finally:
        done.set()
        holder.join(60)
    with locked(tmp_path, "run"):  # released with its holder
        pass
