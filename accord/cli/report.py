"""``accord report``: rebuild a run directory's report from its results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import fail


def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `accord run`.")],
) -> None:
    """Rebuild a run directory's report.html from its results; prints its path last."""
    from accord.lab.report import build_report

    try:
        path = build_report(run_dir)
    except FileNotFoundError as exc:
        raise fail(str(exc)) from None
    except (KeyError, ValueError, json.JSONDecodeError) as exc:
        raise fail(f"{run_dir} holds damaged results: {type(exc).__name__}: {exc}") from None
    print(path)
