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
        raise fail(f"replaying {out} did not reproduce the run's state hashes")
