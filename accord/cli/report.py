"""``accord report``: rebuild a run directory's report from its results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import fail


def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `accord run`.")],
    baseline: Annotated[
        str | None,
        typer.Option(
            help="The design paired differences are taken from, KEY=VALUE[,KEY=VALUE] "
            "(e.g. ordering=fcfs,mempool=public); default: the scenario's, else the first."
        ),
    ] = None,
) -> None:
    """Rebuild a run directory's report.html from its results; prints its path last."""
    from accord.lab.paired import BaselineError, parse_baseline
    from accord.lab.report import build_report

    try:
        wanted = parse_baseline(baseline) if baseline is not None else None
        path = build_report(run_dir, baseline=wanted)
    except BaselineError as exc:
        raise fail(str(exc)) from None
    except FileNotFoundError as exc:
        raise fail(str(exc)) from None
    except (KeyError, ValueError, json.JSONDecodeError) as exc:
        raise fail(f"{run_dir} holds damaged results: {type(exc).__name__}: {exc}") from None
    print(path)
