"""``accord demo``: the device tour (contracts, mempool, builders, bundles, escrow, replay)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import console, fail


class OrderingRule(StrEnum):
    fcfs = "fcfs"
    priority = "priority"
    random = "random"
    batch = "batch"


class Visibility(StrEnum):
    public = "public"
    private = "private"
    sealed = "sealed"


DEFAULT_OUT = Path("runs/tour.db")


def demo(
    ordering: Annotated[OrderingRule, typer.Option(help="The ordering rule.")] = (
        OrderingRule.priority
    ),
    mempool: Annotated[Visibility, typer.Option(help="Mempool visibility.")] = Visibility.sealed,
    out: Annotated[
        Path,
        typer.Option(
            help="Where to write the event log: a new file or an earlier log (replaced); "
            "its directory must exist."
        ),
    ] = DEFAULT_OUT,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Overwrite --out even if it is not an event log (or is a link)."
        ),
    ] = False,
    seed: Annotated[int, typer.Option(help="The run's seed.")] = 7,
) -> None:
    """Run the device tour: contracts, mempool, builders, bundles, a revert, escrow, replay.

    The same tour as examples/device_tour.py; the persisted log is replayed at the end.
    An earlier event log at --out is replaced; any other file is kept unless --force,
    and a directory is refused.
    """
    from accord.lab.tour import TourOutError, run_tour

    if out == DEFAULT_OUT and not out.parent.exists():
        out.parent.mkdir()  # runs/, as `accord run` makes it; another --out's must exist
        console.print(f"created {out.parent}/", highlight=False)
    try:
        result = run_tour(
            out,
            ordering=ordering.value,
            mempool=mempool.value,
            seed=seed,
            console=console,
            force=force,
        )
    except TourOutError as exc:
        raise fail(f"--out {exc}") from None
    if not result.matches:
        raise fail(f"replaying {out} did not reproduce the run's state hashes")
