"""The ``accord`` command: thin wrappers that parse, call the library and print."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from accord.device.errors import DeviceError

app = typer.Typer(help="accord: credible commitments for AI agents.", no_args_is_help=True)
console = Console()


@app.command()
def replay(run: Path = typer.Argument(..., help="An event log written with store=PATH.")) -> None:
    """Replay a run's event log and print its final state hash.

    Every block's state hash is checked against the logged one on the way.
    """
    from accord.device.replay import replay as replay_log

    try:
        device = replay_log(run)
    except DeviceError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=1) from None
    console.print(f"replayed {device.number} blocks")
    print(device.state_hash().hex())


@app.command()
def version() -> None:
    """Print accord's version."""
    from accord import __version__

    print(__version__)


if __name__ == "__main__":
    app()
