"""The CLI-wide guard: every error is one line on stderr, and no traceback leaks.

Commands refuse bad input themselves, naming it (:func:`accord.cli.common.fail`). What
they did not foresee (a library's ``UnicodeDecodeError``, a ``MemoryError``) reaches
:class:`GuardedGroup.invoke`, which prints it as one line naming the command line that
caused it and exits 1. Usage errors (an unknown option, a value of the wrong type) are one
line too, instead of a rich panel. ``accord --debug …`` (or ``ACCORD_DEBUG=1``) lets the
exception through with its traceback, for bug reports.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

DEBUG = "accord.debug"
"""The key of ``ctx.meta`` that ``--debug`` sets."""

_ARGV = "accord.argv"


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) as one space."""
    return " ".join(str(text).split())


def describe(exc: BaseException) -> str:
    """``"TypeName: message"`` in one line (a ``KeyError``'s key shown as given)."""
    text = one_line(str(exc))
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _error(message: str) -> None:
    print(f"error: {one_line(message)}", file=sys.stderr, flush=True)


class GuardedGroup(TyperGroup):
    """The root ``accord`` group: one-line usage errors and one guard for the rest."""

    def invoke(self, ctx: Any) -> Any:
        argv = [*ctx._protected_args, *ctx.args]  # the command line below `accord`
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):  # exits, usage errors
            raise
        except Exception as exc:  # the guard: anything a command did not foresee
            if ctx.meta.get(DEBUG):
                raise
            where = shlex.join(["accord", *argv])
            if len(where) > 160:
                where = where[:157] + "..."
            _error(f"{describe(exc)} (in `{where}`; add --debug after accord for the traceback)")
            raise typer.Exit(1) from None

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            code = super().main(
                args,
                prog_name,
                complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        except typer.TyperException as exc:  # usage errors: one line, and where to look
            if not standalone_mode:
                raise
            context = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError":  # `accord judge`: its help
                print(exc.format_message(), file=sys.stderr)
                sys.exit(exc.exit_code)
            command = (
                " ".join(["accord", *context.command_path.split()[1:]]) if context else "accord"
            )
            _error(f"{exc.format_message()} (see `{command} --help`)")
            sys.exit(exc.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            _error("aborted")
            sys.exit(1)
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)
