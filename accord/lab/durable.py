"""Sweeps that never lose work: each run saved as it finishes, resumable, swapped in whole.

``accord run`` runs a scenario through :func:`open_sweep`:

1. **Check the name.** ``runs/<name>/`` already there, or an unfinished sweep of that
   name (``runs/.<name>.partial/``), stops a plain run with a one-line :class:`RunExists`
   that says what to pass: ``--resume`` completes the unfinished sweep (or finds a
   finished one complete), ``--force`` starts over (the finished results stay in place
   until the new ones replace them), ``--name`` writes a new name. Nothing is ever
   replaced silently.
2. **Run what is missing, saving each run as it finishes.** The parent writes each
   outcome's row as a part file the moment it arrives (:mod:`accord.lab.parts`), so
   after Ctrl-C (:class:`Interrupted`) or ``kill -9`` every finished run is on disk.
   ``--resume`` reads the parts back, checking each against the scenario's design
   (:func:`~accord.lab.runner.design_hash`), and runs only the runs without one.
3. **Assemble and swap in.** The run directory is assembled from the parts alone in a
   hidden sibling and swapped into place atomically (:mod:`accord.lab.rundir`); then the
   unfinished sweep's directory is removed. Because every sweep, interrupted or not,
   goes through its parts, and every run's outcome is a pure function of its spec, a
   resumed sweep's results equal an uninterrupted one's, row for row.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
from rich.console import Console

from accord.lab.parts import (
    Manifest,
    clear_run,
    read_manifest,
    read_parts,
    write_manifest,
    write_part,
)
from accord.lab.results import (
    LOGS,
    META,
    PARTS,
    RunRow,
    head_columns,
    outcome_row,
    query,
    read_meta,
    write_run_files,
)
from accord.lab.rundir import link_tree, locked, new_sibling, partial_dir, recover, swap_in
from accord.lab.runner import Executor, RunOutcome, RunSpec, design_hash, expand, run_specs
from accord.lab.scenario import Scenario

__all__ = ["DurableSweep", "Interrupted", "Mode", "RunExists", "Saved", "open_sweep"]

Mode = Literal["new", "resume", "force"]
"""A plain run, ``--resume`` or ``--force``."""


class RunExists(ValueError):
    """The run name is taken (or its unfinished sweep is of another design); the
    one-line message says which and what to pass."""


QUERY_INTERRUPTED = "Query interrupted"
"""The text of the ``RuntimeError`` DuckDB's Python client raises when a signal is pending
while it runs a query (its connection checks ``PyErr_CheckSignals`` and throws a C++
``std::runtime_error``, which pybind11 turns into ``RuntimeError``): a Ctrl-C that lands
inside a part's write arrives as this instead of ``KeyboardInterrupt``."""


PYTHON_INTERRUPT = "KeyboardInterrupt"
"""What a ``duckdb.Error`` says when the ``KeyboardInterrupt`` was raised in Python code
DuckDB was calling back into: DuckDB rethrows pybind11's ``error_already_set``, whose
text is ``"KeyboardInterrupt: ..."`` (seen in a clean-clone CI run as
``Error: KeyboardInterrupt:``, exit 1, about one whole-group Ctrl-C in three)."""


def _is_interrupt(exc: BaseException) -> bool:
    """Whether ``exc`` is a Ctrl-C, however it reached the sweep: Python's own
    ``KeyboardInterrupt``, DuckDB's ``InterruptException``, DuckDB's
    ``RuntimeError("Query interrupted")`` (:data:`QUERY_INTERRUPTED`), or a
    ``duckdb.Error`` wrapping a ``KeyboardInterrupt`` (:data:`PYTHON_INTERRUPT`). A part
    being written then was never renamed into place, so resume redoes it."""
    if isinstance(exc, KeyboardInterrupt | duckdb.InterruptException):
        return True
    if isinstance(exc, duckdb.Error):
        return PYTHON_INTERRUPT in str(exc)
    return type(exc) is RuntimeError and str(exc) == QUERY_INTERRUPTED


class Interrupted(Exception):
    """Ctrl-C stopped the sweep; ``saved`` of ``total`` runs are on disk in ``partial``."""

    def __init__(self, saved: int, total: int, partial: Path) -> None:
        self.saved, self.total, self.partial = saved, total, partial
        super().__init__(f"interrupted: {saved} of {total} runs saved in {partial}")


@dataclass(frozen=True)
class Saved:
    """A finished sweep's run directory and what became of its runs."""

    run_dir: Path
    runs: int
    failed: tuple[tuple[str, str], ...]
    """``(run_id, error)`` of every failed run, in run order."""
    ran: int
    """Runs executed by this call (the others were saved by an earlier one)."""
    logs: Path | None


@dataclass
class DurableSweep:
    """One sweep being run into ``out/<name>`` (open it with :func:`open_sweep`)."""

    scenario: Scenario
    out: Path
    logs: bool
    specs: list[RunSpec]
    scenario_hash: str
    saved: dict[int, RunRow] = field(default_factory=dict)
    """Runs an earlier attempt finished, by run index."""
    complete: bool = False
    """``--resume`` found the run directory already complete: nothing to run."""

    @property
    def target(self) -> Path:
        return self.out / self.scenario.name

    @property
    def partial(self) -> Path:
        return partial_dir(self.out, self.scenario.name)

    @property
    def missing(self) -> list[RunSpec]:
        """The runs still to run, in run order."""
        if self.complete:
            return []
        return [spec for spec in self.specs if spec.index not in self.saved]

    def run(self, executor: Executor, console: Console | None = None) -> Saved:
        """Run the missing runs, saving each as it finishes, then assemble the run
        directory and swap it in. :class:`Interrupted` on Ctrl-C (runs saved so far stay)."""
        if self.complete:
            return self._finished_already()
        missing = self.missing
        for spec in missing:
            clear_run(self.partial, spec.run_id)
        swept = self.scenario.swept_keys
        head = head_columns(swept, self.logs)
        newly = 0

        con = duckdb.connect()  # one for every part: opening one costs milliseconds

        def save(outcome: RunOutcome) -> None:
            nonlocal newly
            row = outcome_row(outcome, swept, self.logs)
            columns = [*head, *row.metrics, *row.config, "versions"]
            write_part(self.partial, row, self.scenario_hash, columns, con)
            newly += 1

        failed = sum(row.values["status"] != "ok" for row in self.saved.values())
        try:
            run_specs(
                missing,
                executor,
                console=console,
                title=self.scenario.name,
                done=len(self.saved),
                failed=failed,
                on_outcome=save,
            )
            rows = read_parts(self.partial, self.specs, self.scenario_hash, swept, self.logs)
            if len(rows) != len(self.specs):
                raise RuntimeError(f"{self.partial}: {len(rows)} parts for {len(self.specs)} runs")
            self._assemble(list(rows.values()))
        except (KeyboardInterrupt, duckdb.Error, RuntimeError) as exc:
            if not _is_interrupt(exc):
                raise
            raise Interrupted(len(self.saved) + newly, len(self.specs), self.partial) from None
        finally:
            con.close()
        shutil.rmtree(self.partial)
        ordered = sorted(rows.values(), key=lambda r: r.run)
        return Saved(
            self.target,
            len(ordered),
            tuple(
                (r.run_id, str(r.values["error"])) for r in ordered if r.values["status"] != "ok"
            ),
            len(missing),
            self.target / LOGS if self.logs else None,
        )

    def _assemble(self, rows: Sequence[RunRow]) -> None:
        build = new_sibling(self.target)
        try:
            if self.logs:
                link_tree(self.partial / LOGS, build / LOGS)
            write_run_files(
                build, self.scenario, rows, logged=self.logs, scenario_hash=self.scenario_hash
            )
            swap_in(build, self.target)
        finally:
            shutil.rmtree(build, ignore_errors=True)

    def _finished_already(self) -> Saved:
        meta = read_meta(self.target)
        failed = query(
            self.target, "SELECT run_id, error FROM results WHERE status <> 'ok' ORDER BY run"
        )
        return Saved(
            self.target,
            meta.runs,
            tuple((str(r["run_id"]), str(r["error"])) for r in failed),
            0,
            self.target / LOGS if self.logs else None,
        )


@contextmanager
def open_sweep(
    scenario: Scenario, out: str | Path, *, logs: bool = False, mode: Mode = "new"
) -> Iterator[DurableSweep]:
    """Prepare the sweep of ``scenario`` into ``out/<name>`` (module docstring), holding
    the name's lock while it is open. Raises :class:`RunExists` (a plain run of a taken
    name, a resume of another design) or :class:`~accord.lab.parts.PartError` (a part
    that cannot be trusted) before anything runs."""
    out = Path(out)
    name = scenario.name
    with locked(out, name):
        recover(out, name)
        yield _prepare(scenario, out, logs, mode)


def _prepare(scenario: Scenario, out: Path, logs: bool, mode: Mode) -> DurableSweep:
    target = out / scenario.name
    partial = partial_dir(out, scenario.name)
    specs = expand(scenario, partial / LOGS if logs else None)
    sweep = DurableSweep(scenario, out, logs, specs, design_hash(specs, logs=logs))
    if target.is_symlink() or partial.is_symlink():
        link = target if target.is_symlink() else partial
        raise RunExists(f"{link} is a symbolic link: choose another --name or --out")
    taken = target.exists() and not (target / META).is_file()
    if taken and (not target.is_dir() or any(target.iterdir())):
        raise RunExists(
            f"{target} exists and is not a run directory (no {META} in it): "
            "choose another --name or --out"
        )
    has_target = (target / META).is_file()
    if mode == "new" and partial.is_dir():
        done = len(list((partial / PARTS).glob("*.parquet")))
        raise RunExists(
            f"{partial} holds {done} finished runs of an unfinished sweep of "
            f"{scenario.name}: pass --resume to complete it, or --force to start over"
        )
    if mode == "new" and has_target:
        raise RunExists(
            f"{target} already exists: pass --force to replace it (it stays until the new "
            "run completes), --resume to complete it, or --name NEW to write a new name"
        )
    if mode == "resume" and partial.is_dir():
        manifest = read_manifest(partial)
        if manifest.scenario_hash != sweep.scenario_hash:
            raise RunExists(_other_design(partial, manifest.logs, logs, "unfinished sweep"))
        sweep.saved = read_parts(partial, specs, sweep.scenario_hash, scenario.swept_keys, logs)
        if logs:
            (partial / LOGS).mkdir(exist_ok=True)
        return sweep
    if mode == "resume" and has_target:
        meta = read_meta(target)
        if meta.scenario_hash != sweep.scenario_hash:
            logged = _has_logs(target)
            raise RunExists(_other_design(target, logged, logs, "run directory"))
        sweep.complete = True
        return sweep
    shutil.rmtree(partial, ignore_errors=True)  # --force, or nothing to resume
    partial.mkdir(parents=True)
    if logs:
        (partial / LOGS).mkdir()
    write_manifest(partial, Manifest(scenario.name, sweep.scenario_hash, len(specs), logs))
    return sweep


def _has_logs(run_dir: Path) -> bool:
    return (run_dir / LOGS).is_dir()


def _other_design(where: Path, had_logs: bool, logs: bool, what: str) -> str:
    if had_logs != logs:
        started = "with" if had_logs else "without"
        return f"{where} was run {started} --logs: resume it {started} --logs, or pass --force"
    return (
        f"{where} is a {what} of another design (other parameters, sweep, seeds or game): "
        "pass --force to replace it, or --name NEW to keep both"
    )
