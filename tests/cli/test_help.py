"""Every command's ``--help`` shows its help texts whole (issue 12): no bracket swallowed
as markup (``[ray]``), no paragraph broken where the docstring's source lines broke, no
long token cut with an ellipsis."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer.rich_utils
from typer.main import get_command
from typer.testing import CliRunner

from accord.cli import app

BOX = re.compile(r"[│╭╮╰╯─]")


def commands() -> Iterator[tuple[list[str], object]]:
    def walk(cmd: object, path: list[str]) -> Iterator[tuple[list[str], object]]:
        yield path, cmd
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            yield from walk(sub, [*path, name])

    yield from walk(get_command(app), [])


COMMANDS = list(commands())


def render(path: list[str], width: int, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", width)
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    return result.output


def flat(text: str) -> str:
    return " ".join(BOX.sub(" ", text).replace("`", "").split())


def texts(cmd: object) -> list[str]:
    """The command's help paragraphs and every option's help, as written."""
    out = [p for p in re.split(r"\n\s*\n", getattr(cmd, "help", None) or "") if p.strip()]
    for param in getattr(cmd, "params", []):
        if getattr(param, "help", None):
            out.append(param.help)
    return [" ".join(t.replace("`", "").split()) for t in out]


def test_every_command_is_covered() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"run", "route", "demo", "replay", "judge heldout", "deepfund propagate"} <= names
    assert len(names) >= 15


@pytest.mark.parametrize(
    ("path", "cmd"), COMMANDS, ids=[" ".join(path) or "accord" for path, _ in COMMANDS]
)
def test_help_shows_every_text_whole(
    path: list[str], cmd: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    narrow = render(path, 80, monkeypatch)
    assert "…" not in narrow, f"a token was cut at 80 columns:\n{narrow}"
    shown = flat(narrow)
    for text in texts(cmd):
        for bracket in re.findall(r"\[[^\]]*\]", text):
            assert bracket in shown, f"{bracket} swallowed in `accord {' '.join(path)} --help`"
        assert text in shown, f"not shown whole: {text!r}"
    wide = render(path, 400, monkeypatch)
    lines = [" ".join(BOX.sub(" ", line).replace("`", "").split()) for line in wide.splitlines()]
    for text in texts(cmd):
        if len(text) < 300:  # each paragraph and option help on one line when there is room
            assert any(text in line for line in lines), f"broken mid-sentence: {text!r}"
