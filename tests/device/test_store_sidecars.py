"""Sidecar files (issue 12): a closed log is one file, reading a log creates no
``-wal``/``-shm``, and a log copied without the ``-wal`` of a crashed writer warns
instead of replaying fewer blocks in silence."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.contracts.vault import Vault
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, replay
from accord.device.store import SidecarWarning, SqliteLog, in_wal_mode, read_sqlite

REPO = Path(__file__).resolve().parents[2]
GENESIS = Genesis(assets={"ETH": AssetSpec(issuer="t", alloc={"alice": 10**18, "bob": 10**18})})


def files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def write_blocks(path: Path, blocks: int, then: int = 0) -> Device:
    """A deploy and ``blocks - 1`` deposits; then, after a checkpoint, ``then`` more."""
    device = Device(DeviceConfig(), GENESIS, seed=3, store=path)
    alice = device.account("alice")
    vault = device.deploy(alice, Vault)
    for k in range(blocks - 1):
        device.call(alice, vault, "deposit", "alice", k + 1)
    if then:
        other = sqlite3.connect(path)
        other.execute("PRAGMA wal_checkpoint(PASSIVE)")  # the blocks so far reach the file
        other.close()
        for _ in range(then):
            device.call(alice, vault, "deposit", "alice", 1)  # these only in the -wal
    return device


def test_a_closed_log_is_one_file_and_reading_it_creates_no_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    device = write_blocks(path, 4)
    assert files(tmp_path) == ["run.db", "run.db-shm", "run.db-wal"]  # while it is written
    assert isinstance(device.log, SqliteLog)
    device.log.close()
    device.log.close()  # twice is harmless
    assert files(tmp_path) == ["run.db"] and not in_wal_mode(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no SidecarWarning for a closed log
        assert replay(path).headers == device.headers
    result = CliRunner().invoke(app, ["replay", str(path)])
    assert result.exit_code == 0, result.output
    assert "replayed 4 blocks" in result.output and "warning" not in result.output
    assert files(tmp_path) == ["run.db"]


def test_a_log_left_open_is_closed_by_the_writers_end(tmp_path: Path) -> None:
    """A script that never calls close(): the finalizer checkpoints at exit."""
    script = tmp_path / "writer.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            from tests.device.test_store_sidecars import write_blocks
            device = write_blocks(__import__("pathlib").Path(sys.argv[1]), 5)
            print(device.head.state_hash.hex())
            """
        )
    )
    path = tmp_path / "logs" / "open.db"
    path.parent.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, str(script), str(path)],
        capture_output=True, text=True, env=env, check=True, timeout=120,
    )  # fmt: skip
    assert files(path.parent) == ["open.db"] and not in_wal_mode(path)
    again = replay(path)
    assert again.number == 5 and again.head.state_hash.hex() == done.stdout.strip()


CRASHER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from tests.device.test_store_sidecars import write_blocks
    path = Path(sys.argv[1])
    device = write_blocks(path, 6, then=6)  # blocks 7-12 only in the -wal
    print(device.number, device.head.state_hash.hex(), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


@pytest.fixture
def crashed(tmp_path: Path) -> tuple[Path, int, str]:
    """A log whose writer was killed: 6 blocks in the file, 6 more only in its -wal."""
    script = tmp_path / "crasher.py"
    script.write_text(CRASHER)
    path = tmp_path / "crashed" / "run.db"
    path.parent.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, str(script), str(path)],
        capture_output=True, text=True, env=env, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr
    number, digest = done.stdout.split()
    assert files(path.parent) == ["run.db", "run.db-shm", "run.db-wal"] and in_wal_mode(path)
    return path, int(number), digest


def test_a_crashed_log_with_its_sidecars_replays_every_block(
    crashed: tuple[Path, int, str], tmp_path: Path
) -> None:
    path, number, digest = crashed
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in files(path.parent):
        shutil.copy(path.parent / name, copy / name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = replay(copy / "run.db")
    assert (again.number, again.head.state_hash.hex()) == (number, digest) == (12, digest)


def test_a_crashed_log_copied_without_its_wal_warns(
    crashed: tuple[Path, int, str], tmp_path: Path
) -> None:
    path, number, _ = crashed
    copy = tmp_path / "alone"
    copy.mkdir()
    shutil.copy(path, copy / "run.db")
    with pytest.warns(SidecarWarning, match=r"run\.db-wal is not beside it: blocks sealed"):
        shorter = replay(copy / "run.db")
    assert shorter.number == 6 < number  # what the file alone holds; the warning says so
    assert files(copy) == ["run.db"]  # and reading it created no sidecar
    result = CliRunner().invoke(app, ["replay", str(copy / "run.db")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert text.startswith(f"warning: {copy / 'run.db'} was not closed")
    assert "copy a log with its -wal and -shm files" in text and "replayed 6 blocks" in text
    assert files(copy) == ["run.db"]
    with pytest.warns(SidecarWarning):
        read_sqlite(copy / "run.db")
