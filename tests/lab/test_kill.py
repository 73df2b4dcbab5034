"""Real interruptions of ``accord run``: ``kill -9`` and Ctrl-C (SIGINT) on a subprocess.

Each test starts ``accord run`` on a small toy sweep, waits (by polling the part files,
never by sleeping a guessed time) until some runs are saved, interrupts it, checks what
survived, resumes with ``--resume`` and compares the final results with an uninterrupted
run's, row for row and state hash by state hash.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from accord.device.replay import replay
from accord.lab.results import query

ROOT = Path(__file__).resolve().parents[2]

SCENARIO = """
name = "kill-toy"
game = "toy"
seed = 7
seeds = 4

[params]
agents = 4
blocks = 120

[device]
block_gas_limit = 90_000

[sweep]
"device.ordering" = ["fcfs", "priority"]
"device.mempool" = ["public", "private"]
"""
RUNS = 16

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


# 120 blocks make a run last about half a second (the whole sweep about 8 s of CPU), so
# the 14 runs still to go when the second part is saved outlast the interrupt by seconds;
# at 8 blocks the device (about 100x titanoboa's rate) finished them all first and the
# Ctrl-C found the sweep done (exit 0, not 130).


def accord(*args: str) -> list[str]:
    return [sys.executable, "-m", "accord.cli", *args]


def env() -> dict[str, str]:
    return {**os.environ, "OPENBLAS_NUM_THREADS": "1", "COLUMNS": "200"}


def complete(args: list[str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def dump(run_dir: Path) -> dict[str, Any]:
    return {
        "rows": query(run_dir, "SELECT * FROM results"),
        "types": query(run_dir, "DESCRIBE results"),
        "blocks": query(run_dir, "SELECT * FROM blocks ORDER BY ALL"),
        "files": sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*")),
    }


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "kill-toy.toml"
    path.write_text(SCENARIO)
    return path


@pytest.fixture(scope="module")
def clean(scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The uninterrupted sweep (with --logs, as every sweep here: the logs are part of
    what a resume must get right)."""
    out = tmp_path_factory.mktemp("clean")
    complete(accord("run", str(scenario), "--out", str(out), "--logs"))
    result = dump(out / "kill-toy")
    assert len(result["rows"]) == RUNS
    assert [f for f in result["files"] if f.startswith("logs/")] == [
        f"logs/{row['run_id']}.db" for row in result["rows"]
    ]
    return result


def start(scenario: Path, out: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        accord("run", str(scenario), "--out", str(out), *args),
        cwd=ROOT,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives a command
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    """Start the command with Ctrl-C at its default, as a shell starts one: SIGINT
    neither ignored nor blocked, whatever an earlier test left in this process (an
    ignored or blocked SIGINT is inherited across exec, and Python then never raises
    KeyboardInterrupt: in the full suite the sweep ran to its end and exited 0)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])


def wait_for_parts(process: subprocess.Popen[str], partial: Path, count: int) -> int:
    """Poll until ``count`` runs are saved; the sweep must still be running then."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        saved = len(list((partial / "parts").glob("*.parquet")))
        if saved >= count:
            assert process.poll() is None, "the sweep ended before it could be interrupted"
            return saved
        assert process.poll() is None, process.communicate()
        time.sleep(0.01)
    raise AssertionError(f"no {count} parts in {partial} after 300 s")


def check_saved_rows(partial: Path, clean: dict[str, Any]) -> int:
    """The rows saved before the interruption are the clean run's rows for those runs."""
    rows = query(partial, "SELECT * FROM results")
    by_id = {row["run_id"]: row for row in clean["rows"]}
    for row in rows:
        expected = by_id[row["run_id"]]
        assert row == {key: expected[key] for key in row}
        assert row["status"] == "ok" and row["state_hash"] == expected["state_hash"]
    return len(rows)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_kill_9_loses_no_finished_run_and_resume_completes_the_sweep(
    scenario: Path, clean: dict[str, Any], tmp_path: Path, workers: str
) -> None:
    extra = ["--workers", workers, "--logs"]
    process = start(scenario, tmp_path, *extra)
    partial = tmp_path / ".kill-toy.partial"
    wait_for_parts(process, partial, 3)
    process.kill()  # SIGKILL: no handler runs
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert not (tmp_path / "kill-toy").exists()  # no half-written run directory
    saved = check_saved_rows(partial, clean)
    assert 3 <= saved < RUNS
    assert _ended(process.pid)  # the pool's workers died with it: no orphan writes a log
    if workers == "1":  # a plain run of the name is refused, in one line
        refused = subprocess.run(
            accord("run", str(scenario), "--out", str(tmp_path), *extra),
            cwd=ROOT,
            env=env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert refused.returncode == 1
        assert refused.stderr.count("\n") == 1
        assert f"holds {saved} finished runs" in refused.stderr and "--resume" in refused.stderr
    result = complete(accord("run", str(scenario), "--out", str(tmp_path), *extra, "--resume"))
    assert f"{saved} of {RUNS} runs saved, {RUNS - saved} to run" in " ".join(result.stdout.split())
    assert dump(tmp_path / "kill-toy") == clean
    assert not partial.exists()
    for row in clean["rows"]:  # every log, the resumed runs' too, replays to its state hash
        device = replay(tmp_path / "kill-toy" / row["log"])
        assert device.state_hash().hex() == row["state_hash"]


def _ended(group: int) -> bool:
    """Whether every process of the process group ``group`` has ended (within 60 s: a
    pool's resource tracker exits once it sees its parent gone)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(("workers", "whole_group"), [("1", False), ("2", True)])
def test_ctrl_c_says_what_was_saved_and_how_to_resume(
    scenario: Path,
    clean: dict[str, Any],
    tmp_path: Path,
    workers: str,
    whole_group: bool,
) -> None:
    """SIGINT to the command alone, or to its whole process group as a terminal's Ctrl-C
    sends it (the pool's workers too): exit 130 with one line saying how many runs were
    saved and the command that resumes."""
    process = start(scenario, tmp_path, "--workers", workers, "--logs")
    partial = tmp_path / ".kill-toy.partial"
    wait_for_parts(process, partial, 2)
    if whole_group:
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("interrupted:")]
    assert len(lines) == 1, stderr
    match = re.fullmatch(
        r"interrupted: (\d+) of 16 runs saved in (.+); resume with: (accord run .+ --resume)",
        lines[0],
    )
    assert match, lines[0]
    saved = int(match.group(1))
    assert Path(match.group(2)) == partial
    assert saved == check_saved_rows(partial, clean) >= 2
    assert not (tmp_path / "kill-toy").exists()
    assert _ended(process.pid)
    command = shlex.split(match.group(3))
    assert command == [
        "accord", "run", str(scenario), "--out", str(tmp_path), "--logs", "--resume"
    ]  # fmt: skip
    complete(accord(*command[1:]))
    assert dump(tmp_path / "kill-toy") == clean
