"""What every ``accord`` command shares: the console, one-line errors, a bad log's exceptions."""

from __future__ import annotations

import json
import sqlite3

import typer
from pydantic import ValidationError
from rich.console import Console

console = Console()

BAD_LOG = (ValidationError, json.JSONDecodeError, sqlite3.Error, KeyError, TypeError, ValueError)
"""What a damaged or foreign log file can raise while it is decoded, besides DeviceError."""


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` in one line; raise what it returns to exit with code 1."""
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)
