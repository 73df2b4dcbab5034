"""Sweeps that never lose work: runs saved as they finish, resumed, never replaced silently.

Every check compares against a clean, uninterrupted sweep, row for row and state hash by
state hash: a resumed sweep must be indistinguishable from one that never stopped.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.lab import durable
from accord.lab.durable import Interrupted, RunExists, open_sweep
from accord.lab.parts import PartError, read_parts
from accord.lab.results import load, query, write_results
from accord.lab.runner import InProcess, RunOutcome, RunSpec, design_hash, expand, run_sweep
from accord.lab.scenario import Scenario, parse_scenario
from tests.lab.probe import PROBE


class StopAfter:
    """Runs specs in order and raises KeyboardInterrupt (Ctrl-C) before the run after
    ``n``; records what it ran."""

    def __init__(self, n: int | None = None) -> None:
        self.n = n
        self.ran: list[str] = []

    def map_unordered(
        self, fn: Callable[[RunSpec], RunOutcome], specs: Sequence[RunSpec]
    ) -> Iterator[RunOutcome]:
        for spec in specs:
            if self.n is not None and len(self.ran) == self.n:
                raise KeyboardInterrupt
            self.ran.append(spec.run_id)
            yield fn(spec)


def dump(run_dir: Path) -> dict[str, Any]:
    """Everything a run directory holds, as values: the rows, their types, the tables,
    the meta and the scenario."""
    meta = json.loads((run_dir / "meta.json").read_text())
    tables = {
        name: query(run_dir, f'SELECT * FROM "{name}" ORDER BY ALL') for name in meta["tables"]
    }
    return {
        "rows": query(run_dir, "SELECT * FROM results"),
        "types": query(run_dir, "DESCRIBE results"),
        "tables": tables,
        "meta": meta,
        "scenario": (run_dir / "scenario.toml").read_text(),
        "files": sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*")),
    }


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return parse_scenario(PROBE)


@pytest.fixture(scope="module")
def clean(scenario: Scenario, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The uninterrupted sweep, written in one go from its outcomes."""
    out = tmp_path_factory.mktemp("clean")
    return dump(write_results(run_sweep(scenario, workers=1), out))


def run(
    scenario: Scenario, out: Path, executor: Any = None, mode: str = "new", logs: bool = False
) -> Any:
    with open_sweep(scenario, out, mode=mode, logs=logs) as sweep:  # type: ignore[arg-type]
        return sweep.run(executor or InProcess())


def test_a_saved_sweep_equals_the_outcomes_written_at_once(
    scenario: Scenario, clean: dict[str, Any], tmp_path: Path
) -> None:
    saved = run(scenario, tmp_path)
    assert saved.run_dir == tmp_path / "probe" and saved.runs == 8 and saved.ran == 8
    assert [run_id for run_id, _ in saved.failed] == ["p1-r0", "p1-r1", "p3-r0", "p3-r1"]
    assert saved.failed[0][1].startswith("ValueError: probe told to fail")
    assert dump(saved.run_dir) == clean
    assert sorted(p.name for p in tmp_path.iterdir()) == [".probe.lock", "probe"]


@pytest.mark.parametrize("stop", [0, 1, 5, 7])
def test_ctrl_c_keeps_every_finished_run_and_resume_runs_only_the_rest(
    scenario: Scenario, clean: dict[str, Any], tmp_path: Path, stop: int
) -> None:
    with pytest.raises(Interrupted) as info:
        run(scenario, tmp_path, StopAfter(stop))
    partial = tmp_path / ".probe.partial"
    assert (info.value.saved, info.value.total, info.value.partial) == (stop, 8, partial)
    assert not (tmp_path / "probe").exists()  # never a half-written run directory
    assert len(list((partial / "parts").glob("*.parquet"))) == stop
    if stop:  # the finished runs read as one table, exactly their rows of the clean run
        rows = query(partial, "SELECT * FROM results")
        assert rows == [
            {k: v for k, v in row.items() if k in rows[0]} for row in clean["rows"][:stop]
        ]
    with pytest.raises(RunExists, match=rf"holds {stop} finished runs .* pass --resume"):
        run(scenario, tmp_path)
    again = StopAfter()
    saved = run(scenario, tmp_path, again, mode="resume")
    ids = [row["run_id"] for row in clean["rows"]]
    assert again.ran == ids[stop:] and saved.ran == 8 - stop
    assert dump(saved.run_dir) == clean
    assert not partial.exists()


@pytest.mark.parametrize(
    "interrupt",
    [
        duckdb.InterruptException("Query interrupted"),
        RuntimeError("Query interrupted"),
        duckdb.Error("KeyboardInterrupt: "),
        duckdb.InvalidInputException(
            "Invalid Input Error: Python exception occurred while executing the UDF: "
            "KeyboardInterrupt: "
        ),
    ],
    ids=["InterruptException", "RuntimeError", "Error", "wrapped-in-UDF"],
)
def test_ctrl_c_inside_a_duckdb_write_is_an_interrupt_too(
    scenario: Scenario,
    clean: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    interrupt: Exception,
) -> None:
    """DuckDB turns a SIGINT that lands inside one of its queries into its own
    InterruptException (seen in CI: "RuntimeError: Query interrupted", exit 1): it is the
    same Ctrl-C, so the sweep stops as Interrupted with the finished parts kept, and the
    part being written is redone on resume."""
    real = durable.write_part
    calls = 0

    def interrupted_on_the_third(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise interrupt
        real(*args, **kwargs)

    monkeypatch.setattr(durable, "write_part", interrupted_on_the_third)
    with pytest.raises(Interrupted) as info:
        run(scenario, tmp_path)
    assert (info.value.saved, info.value.total) == (2, 8)
    monkeypatch.setattr(durable, "write_part", real)
    saved = run(scenario, tmp_path, mode="resume")
    assert saved.ran == 6 and dump(saved.run_dir) == clean


@pytest.mark.parametrize(
    "error", [RuntimeError("disk on fire"), duckdb.IOException("disk on fire")]
)
def test_another_error_in_a_write_is_not_taken_for_ctrl_c(
    scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise error

    monkeypatch.setattr(durable, "write_part", broken)
    with pytest.raises(type(error), match="disk on fire"):
        run(scenario, tmp_path)


def test_interrupted_twice_then_resumed(
    scenario: Scenario, clean: dict[str, Any], tmp_path: Path
) -> None:
    with pytest.raises(Interrupted):
        run(scenario, tmp_path, StopAfter(2))
    with pytest.raises(Interrupted) as info:
        run(scenario, tmp_path, StopAfter(3), mode="resume")
    assert info.value.saved == 5
    assert dump(run(scenario, tmp_path, mode="resume").run_dir) == clean


def test_a_taken_name_asks_for_force_or_resume(scenario: Scenario, tmp_path: Path) -> None:
    first = dump(run(scenario, tmp_path).run_dir)
    with pytest.raises(RunExists, match=r"probe already exists: pass --force .* --name NEW"):
        run(scenario, tmp_path)
    nothing = StopAfter()
    saved = run(scenario, tmp_path, nothing, mode="resume")  # complete: nothing to run
    assert nothing.ran == [] and saved.ran == 0 and len(saved.failed) == 4
    other = parse_scenario(PROBE.replace("seed = 3", "seed = 4"))
    with pytest.raises(RunExists, match=r"another design .* --force"):
        run(other, tmp_path, mode="resume")
    with pytest.raises(RunExists, match="was run without --logs"):
        run(scenario, tmp_path, mode="resume", logs=True)
    assert dump(tmp_path / "probe") == first  # refused: nothing changed
    replaced = dump(run(other, tmp_path, mode="force").run_dir)
    assert replaced["rows"] != first["rows"]
    assert [r["seed"] for r in replaced["rows"]] != [r["seed"] for r in first["rows"]]


def test_force_keeps_the_old_results_until_the_new_ones_are_whole(
    scenario: Scenario, tmp_path: Path
) -> None:
    first = dump(run(scenario, tmp_path).run_dir)
    other = parse_scenario(PROBE.replace("seed = 3", "seed = 4"))
    with pytest.raises(Interrupted):
        run(other, tmp_path, StopAfter(4), mode="force")
    assert dump(tmp_path / "probe") == first  # the old run directory, untouched
    with pytest.raises(RunExists, match="another design"):  # the partial is the new design
        run(scenario, tmp_path, mode="resume")
    expected = dump(write_results(run_sweep(other, workers=1), tmp_path / "expected"))
    assert dump(run(other, tmp_path, mode="resume").run_dir) == expected
    with pytest.raises(Interrupted):  # --force discards an unfinished sweep too
        run(scenario, tmp_path, StopAfter(1), mode="force")
    assert dump(tmp_path / "probe") == expected


def test_a_directory_that_is_not_a_run_is_never_replaced(
    scenario: Scenario, tmp_path: Path
) -> None:
    (tmp_path / "probe").mkdir()
    (tmp_path / "probe" / "notes.txt").write_text("mine")
    for mode in ("new", "force", "resume"):
        with pytest.raises(RunExists, match=r"probe exists and is not a run directory"):
            run(scenario, tmp_path, mode=mode)
    assert (tmp_path / "probe" / "notes.txt").read_text() == "mine"
    (tmp_path / "probe" / "notes.txt").unlink()  # an empty directory is taken
    assert run(scenario, tmp_path).runs == 8
    linked = tmp_path / "links"
    linked.mkdir()
    (linked / "probe").symlink_to(tmp_path / "probe")
    with pytest.raises(RunExists, match=r"links/probe is a symbolic link"):
        run(scenario, linked, mode="force")
    assert (tmp_path / "probe" / "meta.json").is_file()


def test_load_names_the_unfinished_sweep(scenario: Scenario, tmp_path: Path) -> None:
    with pytest.raises(Interrupted):
        run(scenario, tmp_path, StopAfter(2))
    with pytest.raises(FileNotFoundError, match=r"an interrupted sweep are in .*\.probe\.partial"):
        load(tmp_path / "probe")
    with load(tmp_path / ".probe.partial") as con:
        assert con.execute("SELECT count(*) FROM results").fetchone() == (2,)
        assert con.execute("SELECT count(*) FROM rows").fetchone() == (6,)


# --- hostile part files: refused with one line naming the file, never mixed ---------------


@pytest.fixture
def interrupted(scenario: Scenario, tmp_path: Path) -> Path:
    """An unfinished sweep of PROBE with runs p0-r0, p0-r1 and p1-r0 saved."""
    with pytest.raises(Interrupted):
        run(scenario, tmp_path / "runs", StopAfter(3))
    return tmp_path / "runs" / ".probe.partial"


def refused(scenario: Scenario, partial: Path, match: str) -> None:
    with pytest.raises(PartError, match=match) as info:
        run(scenario, partial.parent, mode="resume")
    assert "\n" not in str(info.value)
    assert not (partial.parent / "probe").exists()


def test_a_truncated_part_is_refused(scenario: Scenario, interrupted: Path) -> None:
    part = interrupted / "parts" / "p0-r1.parquet"
    part.write_bytes(part.read_bytes()[:-20])
    refused(scenario, interrupted, r"p0-r1\.parquet: unreadable part, truncated or corrupted")


def test_a_part_of_another_scenario_is_refused(
    scenario: Scenario, interrupted: Path, tmp_path: Path
) -> None:
    other = parse_scenario(PROBE.replace("rows = 3", "rows = 4"))
    with pytest.raises(Interrupted):
        run(other, tmp_path / "other", StopAfter(1))
    foreign = tmp_path / "other" / ".probe.partial" / "parts" / "p0-r0.parquet"
    shutil.copy(foreign, interrupted / "parts" / "p0-r0.parquet")
    refused(scenario, interrupted, r"p0-r0\.parquet: written by another scenario or design")


def test_a_copy_of_a_part_is_refused(scenario: Scenario, interrupted: Path) -> None:
    parts = interrupted / "parts"
    shutil.copy(parts / "p0-r0.parquet", parts / "p0-r0 (1).parquet")
    refused(scenario, interrupted, r"p0-r0 \(1\)\.parquet: not a part of this sweep")
    (parts / "p0-r0 (1).parquet").rename(parts / "p1-r1.parquet")
    refused(scenario, interrupted, r"p1-r1\.parquet: holds run 'p0-r0', not 'p1-r1'")


def test_a_changed_value_is_refused(scenario: Scenario, interrupted: Path) -> None:
    """A part rewritten with one metric changed (and its footer kept) fails its digest;
    one with another seed fails the run's own check."""
    import duckdb

    part = interrupted / "parts" / "p0-r0.parquet"
    con = duckdb.connect()
    kv = dict(con.execute(f"SELECT key, value FROM parquet_kv_metadata('{part}')").fetchall())
    pairs = ", ".join(f"'{bytes(k).decode()}': '{bytes(v).decode()}'" for k, v in kv.items())
    con.execute(
        f"COPY (SELECT * REPLACE (residue + 1 AS residue) FROM '{part}') TO '{part}.x' "
        f"(FORMAT PARQUET, KV_METADATA {{{pairs}}})"
    )
    Path(f"{part}.x").replace(part)
    refused(scenario, interrupted, r"p0-r0\.parquet: its contents do not match its digest")


def test_a_missing_table_part_or_manifest_is_refused(scenario: Scenario, interrupted: Path) -> None:
    table = interrupted / "parts" / "tables" / "rows" / "p0-r1.parquet"
    table.unlink()
    refused(scenario, interrupted, r"rows/p0-r1\.parquet: missing, but p0-r1\.parquet lists 3")
    (interrupted / "parts" / "p0-r1.parquet").unlink()  # now run p0-r1 is simply missing
    (interrupted / "sweep.json").write_text("{not json")
    refused(scenario, interrupted, r"sweep\.json: unreadable manifest")


def test_a_write_cut_short_is_redone(
    scenario: Scenario, interrupted: Path, clean: dict[str, Any]
) -> None:
    """What a kill leaves mid-write (a .tmp file, a table part without its row part) is
    not a finished run: resume runs it again."""
    parts = interrupted / "parts"
    (parts / "p1-r1.parquet.tmp").write_bytes(b"PAR1 half")
    shutil.copy(
        parts / "tables" / "rows" / "p0-r0.parquet", parts / "tables" / "rows" / "p1-r1.parquet"
    )
    again = StopAfter()
    saved = run(scenario, interrupted.parent, again, mode="resume")
    assert again.ran == ["p1-r1", "p2-r0", "p2-r1", "p3-r0", "p3-r1"]
    assert dump(saved.run_dir) == clean


@pytest.fixture(scope="module")
def pristine(scenario: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pristine")
    with pytest.raises(Interrupted):
        run(scenario, out, StopAfter(3))
    return out / ".probe.partial"


PART_FILES = ["parts/p0-r0.parquet", "parts/p1-r0.parquet", "parts/tables/rows/p0-r1.parquet"]


@settings(max_examples=60, deadline=None)
@given(
    which=st.sampled_from(PART_FILES),
    where=st.floats(0, 1, exclude_max=True),
    how=st.one_of(st.integers(1, 255).map(lambda x: ("flip", x)), st.just(("cut", 0))),
)
def test_any_damaged_byte_is_refused_or_harmless(
    scenario: Scenario, pristine: Path, which: str, where: float, how: tuple[str, int]
) -> None:
    """Hypothesis damages one part file (one byte changed, or the file cut short at any
    point): reading the parts either refuses with a one-line error naming that file, or
    (the byte was one no reader looks at) returns exactly the undamaged rows."""
    specs = expand(scenario)
    design = design_hash(specs, logs=False)

    def read(partial: Path) -> dict[int, Any]:
        return read_parts(partial, specs, design, scenario.swept_keys, False)

    expected = read(pristine)
    with tempfile.TemporaryDirectory() as tmp:
        partial = Path(tmp) / ".probe.partial"
        shutil.copytree(pristine, partial)
        path = partial / which
        data = bytearray(path.read_bytes())
        at = int(where * len(data))
        if how[0] == "cut":
            data = data[:at]
        else:
            data[at] ^= how[1]
        path.write_bytes(bytes(data))
        try:
            rows = read(partial)
        except PartError as exc:
            assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)
        else:
            assert rows == expected


def test_a_saved_run_whose_log_is_gone_is_refused(tmp_path: Path) -> None:
    toy = parse_scenario(
        'name = "logged"\ngame = "toy"\nseeds = 2\n[params]\nagents = 3\nblocks = 3\n'
    )
    with pytest.raises(Interrupted):
        run(toy, tmp_path, StopAfter(1), logs=True)
    partial = tmp_path / ".logged.partial"
    assert query(partial, "SELECT log FROM results") == [{"log": "logs/p0-r0.db"}]
    (partial / "logs" / "p0-r0.db").unlink()
    with pytest.raises(PartError, match=r"p0-r0\.parquet: its run's event log logs/p0-r0\.db"):
        run(toy, tmp_path, mode="resume", logs=True)
