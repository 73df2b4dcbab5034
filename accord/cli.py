"""The ``accord`` command: thin wrappers that parse, call the library and print."""

from __future__ import annotations

import json
import math
import sqlite3
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich import box
from rich.console import Console
from rich.table import Table

from accord.device.errors import DeviceError

if TYPE_CHECKING:
    from accord.lab.pools import PoolFile
    from accord.lab.stats import Summary

app = typer.Typer(help="accord: credible commitments for AI agents.", no_args_is_help=True)
console = Console()

# What a damaged or foreign log file can raise while it is decoded, besides DeviceError.
_BAD_LOG = (ValidationError, json.JSONDecodeError, sqlite3.Error, KeyError, TypeError, ValueError)


class OrderingRule(StrEnum):
    fcfs = "fcfs"
    priority = "priority"
    random = "random"
    batch = "batch"


class Visibility(StrEnum):
    public = "public"
    private = "private"
    sealed = "sealed"


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


@app.command()
def replay(
    run: Annotated[Path, typer.Argument(help="An event log written with store=PATH.")],
    keys: Annotated[
        Path | None, typer.Option(help="The run's key file (needed to check a MAC log).")
    ] = None,
    trust_signatures: Annotated[
        bool,
        typer.Option(help="Replay a MAC log without its key file, checking no signature."),
    ] = False,
    genesis_hash: Annotated[
        str | None, typer.Option(help="The run's published genesis hash (hex), checked too.")
    ] = None,
    head_hash: Annotated[
        str | None,
        typer.Option(help="A published header hash of the log's last block (hex), checked too."),
    ] = None,
) -> None:
    """Replay a run's event log and print its final state hash.

    The log's meta (config, genesis, seed) is checked against its field digests and
    genesis hash first (and against --genesis-hash), then every block's state hash
    against the logged one; the last line printed is the final state hash, in hex.
    """
    from accord.device.replay import replay as replay_log
    from accord.lab.provenance import read_log_versions, version_warning

    recorded = read_log_versions(run) if run.is_file() else None
    warning = version_warning(recorded) if recorded else None
    if warning:
        console.print(warning, style="yellow", markup=False, highlight=False, soft_wrap=True)
    import warnings

    from accord.device.store import SidecarWarning

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SidecarWarning)
            device = replay_log(
                run,
                keys=keys,
                trust_signatures=trust_signatures,
                genesis_hash=genesis_hash,
                head_hash=head_hash,
            )
        for w in caught:
            if not issubclass(w.category, SidecarWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
                continue
            console.print(f"warning: {w.message}", style="yellow", markup=False, soft_wrap=True)
    except DeviceError as exc:
        raise _fail(str(exc)) from None
    except _BAD_LOG as exc:
        raise _fail(f"{run} is not a valid accord event log: {type(exc).__name__}: {exc}") from None
    console.print(f"replayed {device.number} blocks")
    console.print(f"genesis hash {device.genesis_hash.hex()}", highlight=False)
    console.print(f"head hash {device.head.hash.hex()}", highlight=False)
    if device.trusts_signatures:
        console.print(
            "[yellow]warning:[/yellow] signatures were NOT checked (--trust-signatures): "
            "this replay shows the log is consistent, not that its accounts signed it",
            highlight=False,
        )
    else:
        console.print(f"signatures checked ({device.config.signatures})", highlight=False)
    print(device.state_hash().hex())


@app.command()
def demo(
    ordering: Annotated[OrderingRule, typer.Option(help="The ordering rule.")] = (
        OrderingRule.priority
    ),
    mempool: Annotated[Visibility, typer.Option(help="Mempool visibility.")] = Visibility.sealed,
    out: Annotated[Path, typer.Option(help="Where to write the event log.")] = Path("runs/tour.db"),
    seed: Annotated[int, typer.Option(help="The run's seed.")] = 7,
) -> None:
    """Run the device tour: contracts, mempool, builders, bundles, a revert, escrow, replay.

    The same tour as examples/device_tour.py; the persisted log is replayed at the end.
    """
    from accord.lab.tour import run_tour

    result = run_tour(
        out,
        ordering=ordering.value,
        mempool=mempool.value,
        seed=seed,
        console=console,
    )
    if not result.matches:
        raise _fail(f"replaying {out} did not reproduce the run's state hashes")


@app.command()
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
) -> None:
    """Run a scenario's sweep: every grid point × seed, then results and report.

    Writes OUT/NAME/results.parquet (one row per run; query it with DuckDB) and
    OUT/NAME/report.html, prints the summary table, and ends with one JSON line: the mean
    and 95% CI of every metric per grid point. With --logs every run's event log is kept
    in OUT/NAME/logs/ (replay one with `accord replay OUT/NAME/logs/RUN-ID.db`). Exits 1
    if the scenario is invalid (nothing runs) or if any run failed (its error is in the
    results and the report).
    """
    import time

    from accord.lab.report import build_report
    from accord.lab.results import RESULTS, write_results
    from accord.lab.runner import make_executor, run_sweep
    from accord.lab.scenario import ScenarioError, load_scenario
    from accord.lab.stats import summarize

    try:
        loaded = load_scenario(scenario)
        if seeds is not None:
            loaded = loaded.with_seeds(seeds)
    except ScenarioError as exc:
        raise _fail(str(exc)) from None
    from rich.markup import escape

    from accord.lab.ray_backend import RayUnavailable

    try:
        executor = make_executor(workers, loaded.n_runs, backend=backend, address=address)
    except (RayUnavailable, ValueError) as exc:
        raise _fail(escape(str(exc))) from None  # "[ray]" is not markup
    count = getattr(executor, "workers", 1)
    where = getattr(executor, "where", f"{count} worker{'s' if count != 1 else ''}")
    console.print(
        f"[bold]{loaded.name}[/]: game {loaded.game}, {len(loaded.points)} grid points × "
        f"{len(loaded.replicates)} seeds = {loaded.n_runs} runs on {where}",
        highlight=False,
    )
    started = time.perf_counter()  # shown to the user, never stored
    log_dir = out / loaded.name / "logs" if logs else None
    sweep = run_sweep(loaded, executor=executor, console=console, logs=log_dir)
    elapsed = time.perf_counter() - started
    run_dir = write_results(sweep, out)
    report_path = build_report(run_dir)
    summary = summarize(run_dir)
    for table in _summary_tables(summary, console.width):
        console.print(table)
    failed = sweep.failed
    console.print(
        f"{len(sweep.outcomes) - len(failed)} runs ok, {len(failed)} failed, in {elapsed:.1f} s",
        highlight=False,
    )
    console.print(f"results: {run_dir / RESULTS}", highlight=False, soft_wrap=True)
    console.print(f"report:  {report_path}", highlight=False, soft_wrap=True)
    if log_dir is not None:
        console.print(f"logs:    {log_dir}/ (accord replay one)", highlight=False, soft_wrap=True)
    for outcome in failed[:5]:
        console.print(
            f"[red]failed[/red] {outcome.spec.run_id}: {outcome.error}",
            highlight=False,
            soft_wrap=True,
        )
    if failed:
        console.print(
            f"[red]error:[/red] {len(failed)} of {len(sweep.outcomes)} runs failed",
            highlight=False,
        )
    line = {
        **summary.as_dict(),
        "results": str(run_dir / RESULTS),
        "report": str(report_path),
        **({"logs": str(log_dir)} if log_dir is not None else {}),
    }
    print(json.dumps(line, separators=(",", ":"), default=str))
    if failed:
        raise typer.Exit(code=1)


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `accord run`.")],
) -> None:
    """Rebuild a run directory's report.html from its results; prints its path last."""
    from accord.lab.report import build_report

    try:
        path = build_report(run_dir)
    except FileNotFoundError as exc:
        raise _fail(str(exc)) from None
    except (KeyError, ValueError, json.JSONDecodeError) as exc:
        raise _fail(f"{run_dir} holds damaged results: {type(exc).__name__}: {exc}") from None
    print(path)


@app.command()
def route(
    pools: Annotated[Path, typer.Argument(help="A JSON pool file (format: docs/routing.md).")],
    arbitrage: Annotated[
        bool, typer.Option("--arbitrage", help="Maximise the value of net output.")
    ] = False,
    prices: Annotated[
        str | None,
        typer.Option(
            help="Prices per unit, e.g. A=1.5,B=10 (per human unit if a token has decimals)."
        ),
    ] = None,
    swap: Annotated[
        str | None,
        typer.Option(
            help="Tender up to TOKEN:AMOUNT (human units if it has decimals, else base units)."
        ),
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="The token to receive (--swap).")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="End with the route as one JSON line.")
    ] = False,
) -> None:
    """Route optimally over CFMM pools: arbitrage at given prices, or a swap.

    The last line with --json is {"value", "net", "trades", "dual_value", "gap"}: the
    integer execution's value, net flow per token and each pool's trade, in base units,
    and "decimals" when the pool file gives tokens decimals.
    """
    from accord.lab.pools import PoolFileError, load_pool_file, parse_prices, parse_swap
    from accord.mechanisms.routing import route_arbitrage, route_swap

    if arbitrage == (swap is not None):
        raise _fail("give exactly one of --arbitrage (with --prices) or --swap (with --to)")
    if arbitrage and prices is None:
        raise _fail("--arbitrage needs --prices, e.g. --prices A=1.5,B=10")
    if swap is not None and to is None:
        raise _fail("--swap needs --to, the token to receive")
    if arbitrage and to is not None:
        raise _fail("--to goes with --swap, not --arbitrage")
    if swap is not None and prices is not None:
        raise _fail("--prices goes with --arbitrage, not --swap")
    try:
        pool_file = load_pool_file(pools)
        network, decimals = pool_file.network, pool_file.decimals
        if swap is not None:
            assert to is not None
            sell, amount = parse_swap(swap, network, decimals)
            if to not in network.tokens:
                known = ", ".join(network.tokens)
                raise PoolFileError(f"--to: unknown token {to!r} (the pools trade {known})")
            found = route_swap(network, sell, amount, to)
            title = f"swap up to {swap.rpartition(':')[2].strip()} {sell} for {to}"
        else:
            assert prices is not None
            found = route_arbitrage(network, parse_prices(prices, network, decimals))
            title = f"arbitrage at {prices}"
    except ValueError as exc:  # PoolFileError, and the router's own refusals
        raise _fail(str(exc)) from None
    result = found.as_dict()
    if any(decimals.values()):
        result["decimals"] = decimals
    console.print(_route_table(result, title, len(network), pool_file))
    if as_json:
        print(json.dumps(result, separators=(",", ":")))


def _route_table(result: dict[str, Any], title: str, pools: int, units: PoolFile) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD)
    table.add_column("pool", justify="right")
    table.add_column("tendered")
    table.add_column("received")
    for trade in result["trades"]:
        table.add_row(
            str(trade["pool"]),
            ", ".join(f"{units.human(k, v)} {k}" for k, v in trade["tendered"].items()),
            ", ".join(f"{units.human(k, v)} {k}" for k, v in trade["received"].items()),
        )
    net = ", ".join(
        f"{'+' if v >= 0 else ''}{units.human(k, v)} {k}" for k, v in result["net"].items()
    )
    net = net or "nothing"
    table.caption = (
        f"{len(result['trades'])} of {pools} pools trade; net {net}; "
        f"value {result['value']:.6g} (duality gap {result['gap']:.2g})"
    )
    return table


def _summary_tables(summary: Summary, width: int) -> list[Table]:
    """The summary as rich tables: grid points as rows, metrics as columns (mean ± 95%
    CI), split into several tables when the metrics do not fit the console's width."""
    from accord.lab.report import format_number
    from accord.lab.scenario import plain, short_key

    keys = summary.meta.swept_keys
    metrics = list(summary.meta.metrics)
    key_width = sum(
        max(len(short_key(k)), *(len(plain(p.values[k])) for p in summary.points)) + 3 for k in keys
    )
    cells = {
        (p.index, m): format_number(p.cells[m].mean)
        + ("" if math.isnan(p.cells[m].ci95) else f" ±{format_number(p.cells[m].ci95)}")
        for p in summary.points
        for m in metrics
    }
    widths = {
        m: max(len(m), *(len(cells[(p.index, m)]) for p in summary.points)) + 3 for m in metrics
    }
    chunks: list[list[str]] = [[]]
    used = key_width + 8
    for m in metrics:
        if chunks[-1] and used + widths[m] > width:
            chunks.append([])
            used = key_width + 8
        chunks[-1].append(m)
        used += widths[m]
    tables = []
    for k, chunk in enumerate(chunks):
        title = "summary: mean ±95% CI over seeds" if k == 0 else None
        table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
        for key in keys:
            table.add_column(short_key(key), no_wrap=True)
        table.add_column("runs", justify="right", no_wrap=True)
        for m in chunk:
            table.add_column(m, justify="right", no_wrap=True)
        for p in summary.points:
            runs = str(p.ok) if not p.failed else f"{p.ok}+{p.failed}✗"
            table.add_row(
                *(plain(p.values[key]) for key in keys),
                runs,
                *(cells[(p.index, m)] for m in chunk),
            )
        tables.append(table)
    return tables


from accord.cli_judge import judge_app  # noqa: E402

app.add_typer(judge_app, name="judge")

from accord.cli_deepfund import deepfund_app  # noqa: E402

app.add_typer(deepfund_app, name="deepfund")

from accord.cli_intent import intent_app  # noqa: E402

app.add_typer(intent_app, name="intent")


@app.command()
def version() -> None:
    """Print accord's version."""
    from accord import __version__

    print(__version__)


if __name__ == "__main__":
    app()
