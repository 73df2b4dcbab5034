"""``accord run``: a scenario's sweep, its results and report, and the headline table."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from accord.cli.common import console, errors, fail

if TYPE_CHECKING:
    from accord.lab.durable import Mode
    from accord.lab.stats import Summary


def run(
    scenario: Annotated[Path, typer.Argument(help="A scenario file (TOML).")],
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Processes to run on (default: one per CPU; 1: in-process)."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Where run directories go.")] = Path("runs"),
    seeds: Annotated[
        int | None, typer.Option(min=1, help="Replicates per grid point (overrides the file).")
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="The run's name, its directory under --out (default: the scenario's)."),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Complete an interrupted sweep of this name: run only the runs not yet saved.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace an existing run of this name (kept until the new one completes).",
        ),
    ] = False,
    backend: Annotated[
        str,
        typer.Option(
            help="Where runs execute: local (process pool) or ray (pip install 'accord[ray]')."
        ),
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(help="With --backend ray: a cluster's address (auto, ray://host:10001)."),
    ] = None,
    logs: Annotated[
        bool,
        typer.Option(
            "--logs", help="Keep each run's event log, OUT/NAME/logs/RUN-ID.db (accord replay)."
        ),
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="End with one JSON line: every metric's mean and interval per point."
        ),
    ] = False,
) -> None:
    """Run a scenario's sweep: every grid point × seed, then results and report.

    Writes OUT/NAME/results.parquet (one row per run; query it with DuckDB) and
    OUT/NAME/report.html (every metric, paired differences, the glossary), and prints
    the headline metrics' table and where the report is. With --json it ends with one
    JSON line: the mean and 95% bootstrap interval of every metric per grid point, and
    the paired differences from the baseline design. With --logs every run's event log
    is kept in OUT/NAME/logs/ (replay one with `accord replay OUT/NAME/logs/RUN-ID.db`).

    Each run is saved the moment it finishes (OUT/.NAME.partial/), so Ctrl-C or a crash
    loses no finished run: `--resume` runs only the rest, and the results equal an
    uninterrupted sweep's. A name already taken is never replaced silently: pass
    --force (the old results stay until the new ones are complete), --resume, or --name.
    Exits 1 if the scenario is invalid or the name is taken (nothing runs) or if any run
    failed (its error is in the results and the report); 130 when interrupted.
    """
    import time

    from accord.lab.durable import Interrupted, RunExists, open_sweep
    from accord.lab.parts import PartError
    from accord.lab.ray_backend import RayUnavailable
    from accord.lab.report import analyse, build_report, headline_metrics
    from accord.lab.results import RESULTS
    from accord.lab.rundir import RunDirBusy
    from accord.lab.runner import make_executor
    from accord.lab.scenario import ScenarioError, load_scenario

    if resume and force:
        raise fail("--resume completes the saved runs and --force discards them: pass one")
    try:
        loaded = load_scenario(scenario)
        if seeds is not None:
            loaded = loaded.with_seeds(seeds)
        if name is not None:
            loaded = loaded.with_name(name)
    except ScenarioError as exc:
        raise fail(str(exc)) from None
    try:
        executor = make_executor(workers, loaded.n_runs, backend=backend, address=address)
    except (RayUnavailable, ValueError) as exc:
        raise fail(str(exc)) from None
    count = getattr(executor, "workers", 1)
    where = getattr(executor, "where", f"{count} worker{'s' if count != 1 else ''}")
    mode: Mode = "resume" if resume else "force" if force else "new"
    try:
        with open_sweep(loaded, out, logs=logs, mode=mode) as sweep:
            console.print(
                f"[bold]{loaded.name}[/]: game {loaded.game}, {len(loaded.points)} grid points "
                f"× {len(loaded.replicates)} seeds = {loaded.n_runs} runs on {where}",
                highlight=False,
            )
            if sweep.complete:
                console.print(f"nothing to resume: {sweep.target} is complete", highlight=False)
            elif sweep.saved:
                console.print(
                    f"resuming {sweep.partial}: {len(sweep.saved)} of {loaded.n_runs} runs "
                    f"saved, {len(sweep.missing)} to run",
                    highlight=False,
                    soft_wrap=True,
                )
            started = time.perf_counter()  # shown to the user, never stored
            saved = sweep.run(executor, console)
            elapsed = time.perf_counter() - started
    except (RunExists, PartError, RunDirBusy) as exc:
        raise fail(str(exc)) from None
    except Interrupted as exc:
        command = _resume_command(scenario, out, seeds, name, logs)
        errors.print(
            f"[yellow]interrupted:[/yellow] {exc.saved} of {exc.total} runs saved in "
            f"{escape(str(exc.partial))}; resume with: {escape(command)}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(code=130) from None
    run_dir = saved.run_dir
    analysis = analyse(run_dir)
    report_path = build_report(run_dir, analysis=analysis)
    summary = analysis.summary
    for table in _summary_tables(summary, headline_metrics(summary), console.width):
        console.print(table)
    failed = saved.failed
    resumed = saved.runs - saved.ran
    console.print(
        f"{saved.runs - len(failed)} runs ok, {len(failed)} failed, in {elapsed:.1f} s"
        + (f" ({resumed} saved by an earlier attempt)" if resumed else ""),
        highlight=False,
    )
    console.print(f"results: {run_dir / RESULTS}", highlight=False, soft_wrap=True)
    paired = analysis.paired is not None and analysis.paired.pairs > 0
    holds = "every metric, paired differences, glossary" if paired else "every metric, glossary"
    console.print(f"report:  {report_path} ({holds})", highlight=False, soft_wrap=True)
    if saved.logs is not None:
        console.print(
            f"logs:    {saved.logs}/ (accord replay one)", highlight=False, soft_wrap=True
        )
    for run_id, error in failed[:5]:
        console.print(
            f"[red]failed[/red] {run_id}: {escape(error)}", highlight=False, soft_wrap=True
        )
    if failed:
        console.print(
            f"[red]error:[/red] {len(failed)} of {saved.runs} runs failed", highlight=False
        )
    if as_json:
        line = {
            **analysis.as_dict(),
            "results": str(run_dir / RESULTS),
            "report": str(report_path),
            **({"logs": str(saved.logs)} if saved.logs is not None else {}),
        }
        print(json.dumps(line, separators=(",", ":"), default=str))
    if failed:
        raise typer.Exit(code=1)


def _resume_command(
    scenario: Path, out: Path, seeds: int | None, name: str | None, logs: bool
) -> str:
    """The ``accord run`` line that resumes this sweep (the options that decide its
    design and place; --workers and --backend are free to change)."""
    args = ["accord", "run", str(scenario)]
    if out != Path("runs"):
        args += ["--out", str(out)]
    if seeds is not None:
        args += ["--seeds", str(seeds)]
    if name is not None:
        args += ["--name", name]
    if logs:
        args.append("--logs")
    return shlex.join([*args, "--resume"])


def _summary_tables(summary: Summary, metrics: list[str], width: int) -> list[Table]:
    """The headline metrics as rich tables: grid points as rows, metrics as columns (mean
    and 95% bootstrap interval), split into several tables when they do not fit the
    console's width. The report has every metric."""
    from accord.lab.report_style import format_number, interval_text
    from accord.lab.scenario import plain, short_key

    keys = summary.meta.swept_keys
    runs = {p.index: str(p.ok) if not p.failed else f"{p.ok}+{p.failed}✗" for p in summary.points}
    cells = {
        (p.index, m): f"{format_number(p.cells[m].mean)} "
        f"{interval_text(p.cells[m].low, p.cells[m].high)}".strip()
        for p in summary.points
        for m in metrics
    }
    # A SIMPLE_HEAD table is its columns' widths, one space of padding either side of
    # each (not outside the outer two: pad_edge=False), a blank divider between columns
    # and a blank edge at either end: sum(widths) + 3 per column - 1.
    fixed = [
        max(len(short_key(k)), *(len(plain(p.values[k])) for p in summary.points)) for k in keys
    ]
    fixed.append(max(len("runs"), *(len(r) for r in runs.values())))
    widths = {m: max(len(m), *(len(cells[(p.index, m)]) for p in summary.points)) for m in metrics}
    chunks: list[list[str]] = [[]]
    base = sum(fixed) + 3 * len(fixed) - 1
    used = base
    for m in metrics:
        if chunks[-1] and used + widths[m] + 3 > width:
            chunks.append([])
            used = base
        chunks[-1].append(m)
        used += widths[m] + 3
    tables = []
    seeds = len(summary.meta.replicates)
    for k, chunk in enumerate(chunks):
        title = f"headline metrics: mean [95% interval] over {seeds} seeds" if k == 0 else None
        table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
        for key in keys:
            table.add_column(short_key(key), no_wrap=True)
        table.add_column("runs", justify="right", no_wrap=True)
        for m in chunk:
            table.add_column(m, justify="right", no_wrap=True)
        for p in summary.points:
            table.add_row(
                *(plain(p.values[key]) for key in keys),
                runs[p.index],
                *(cells[(p.index, m)] for m in chunk),
            )
        tables.append(table)
    return tables
