"""What every ``accord`` command shares: the console, one-line errors, a bad log's exceptions."""

from __future__ import annotations

import json
import sqlite3

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from accord.cli.guard import one_line

console = Console()
"""Where commands print what they produce (stdout)."""
errors = Console(stderr=True)
"""Where errors and warnings go (stderr), one line each."""

BAD_LOG = (ValidationError, json.JSONDecodeError, sqlite3.Error, KeyError, TypeError, ValueError)
"""What a damaged or foreign log file can raise while it is decoded, besides DeviceError."""


def fail(message: str, *, label: str = "error") -> typer.Exit:
    """Print ``error: message`` as one line on stderr (the message is not rich markup:
    ``[ray]`` stays as written); raise what it returns to exit with code 1."""
    errors.print(
        f"[red]{label}:[/red] {escape(one_line(message))}", highlight=False, soft_wrap=True
    )
    return typer.Exit(code=1)


def warn(message: str) -> None:
    """Print ``warning: message`` as one line on stderr."""
    errors.print(
        f"[yellow]warning:[/yellow] {escape(one_line(message))}", highlight=False, soft_wrap=True
    )
