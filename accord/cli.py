"""The ``accord`` command: thin wrappers that parse, call the library and print."""

from __future__ import annotations

import json
import sqlite3
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from accord.device.errors import DeviceError

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
) -> None:
    """Replay a run's event log and print its final state hash.

    Every block's state hash is checked against the logged one on the way; the last line
    printed is the final state hash, in hex.
    """
    from accord.device.replay import replay as replay_log

    try:
        device = replay_log(run)
    except DeviceError as exc:
        raise _fail(str(exc)) from None
    except _BAD_LOG as exc:
        raise _fail(f"{run} is not a valid accord event log: {type(exc).__name__}: {exc}") from None
    console.print(f"replayed {device.number} blocks")
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
    """Run the device tour (examples/device_tour.py): contracts, mempool, builders,
    bundles, a revert, escrow, then replay of the persisted log."""
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
def version() -> None:
    """Print accord's version."""
    from accord import __version__

    print(__version__)


if __name__ == "__main__":
    app()
