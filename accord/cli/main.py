"""The ``accord`` command: every command and command group on one typer app.

Each command is a thin wrapper in its own module (parse, call the library, print); this
module only puts them on :data:`app`, in the order ``accord --help`` lists them.
"""

from __future__ import annotations

from typing import Annotated

import typer

from accord.cli.deepfund import deepfund_app
from accord.cli.demo import demo
from accord.cli.guard import DEBUG, GuardedGroup
from accord.cli.intent import intent_app
from accord.cli.judge import judge_app
from accord.cli.llm import llm_app
from accord.cli.node import node
from accord.cli.replay import replay
from accord.cli.report import report
from accord.cli.rl import rl_app
from accord.cli.route import route
from accord.cli.run import run

app = typer.Typer(
    rich_markup_mode="markdown",
    cls=GuardedGroup,
    help="accord: credible commitments for AI agents.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # --debug tracebacks never print an API key
)


def _print_version(value: bool) -> None:
    if value:
        from accord import __version__

        print(f"accord {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            envvar="ACCORD_DEBUG",
            help="Show an unexpected error's traceback instead of one line.",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """accord: credible commitments for AI agents."""
    ctx.meta[DEBUG] = debug


app.command()(replay)
app.command()(demo)
app.command()(run)
app.command()(report)
app.command()(route)
app.command()(node)
app.add_typer(judge_app, name="judge")
app.add_typer(deepfund_app, name="deepfund")
app.add_typer(intent_app, name="intent")
app.add_typer(rl_app, name="rl")
app.add_typer(llm_app, name="llm")


@app.command()
def version() -> None:
    """Print accord's version."""
    from accord import __version__

    print(__version__)
