"""One-line errors everywhere (issue 12): hostile files and option values for every
command end in exit status != 0, exactly one line on stderr, and no traceback; an
unexpected exception is one line naming the command line, ``--debug`` shows it whole,
and ``accord --version`` prints the version."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

import accord.lab.pools
from accord import __version__
from accord.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
JURY = ROOT / "examples" / "judgement" / "jury_pairs_l1.csv"
GRAPH = ROOT / "examples" / "deepfund" / "dependency-graph-v2.csv"
TOY = ROOT / "examples" / "toy-sweep.toml"

# File contents that no command may accept: bytes that are not UTF-8, or text with no
# comma, '=', brace or SQLite header (so no CSV header, TOML key, JSON object or log).
NOT_UTF8 = st.binary(max_size=120).map(lambda b: b[:60] + b"\xff\xfe" + b[60:])
SHAPELESS = st.text(
    alphabet=st.characters(blacklist_characters=",={}[]", blacklist_categories=("Cs",)),
    max_size=120,
).map(lambda t: t.encode("utf-8"))
CONTENTS = NOT_UTF8 | SHAPELESS

FILE_COMMANDS = {
    "judge credits": ["judge", "credits", "--jury", "{file}"],
    "judge heldout": ["judge", "heldout", "--jury", "{file}", "--by", "time"],
    "judge score": ["judge", "score", "--jury", str(JURY), "--submission", "s={file}"],
    "deepfund graph": ["deepfund", "propagate", "--graph", "{file}", "--root", "r"],
    "deepfund seeds": [
        "deepfund", "propagate", "--graph", str(GRAPH), "--seeds", "{file}", "--root", "e",
    ],
    "route": ["route", "{file}", "--swap", "A:1", "--to", "B"],
    "replay": ["replay", "{file}"],
    "run": ["run", "{file}", "--out", "{dir}"],
    "report": ["report", "{file}"],
    "demo": ["demo", "--out", "{file}"],
}  # fmt: skip


def assert_one_line_error(result: Result) -> None:
    assert result.exit_code not in (0, None), result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", sorted(FILE_COMMANDS))
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=CONTENTS)
def test_hostile_files_are_one_line_errors(
    command: str, content: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    where = tmp_path_factory.mktemp("hostile")
    path = where / "input.csv"
    path.write_bytes(content)
    args = [a.format(file=path, dir=where / "runs") for a in FILE_COMMANDS[command]]
    result = runner.invoke(app, args)
    assert_one_line_error(result)
    if command == "demo":
        assert path.read_bytes() == content  # refused, and kept


OPTION_VALUES = {
    "folds": (
        st.integers(max_value=1) | st.integers(min_value=594, max_value=10**30),
        ["judge", "heldout", "--jury", str(JURY), "--by", "time", "--folds", "{v}"],
    ),
    "folds text": (
        st.text(min_size=1, max_size=10).filter(lambda t: not t.strip().lstrip("+-").isdigit()),
        ["judge", "heldout", "--jury", str(JURY), "--folds", "{v}"],
    ),
    "run seeds": (
        st.integers(max_value=0) | st.integers(min_value=125_001, max_value=10**20),
        ["run", str(TOY), "--seeds", "{v}", "--out", "{dir}"],
    ),
    "fund": (
        st.integers(max_value=0),
        ["deepfund", "propagate", "--graph", str(GRAPH), "--root", "x", "--fund", "{v}"],
    ),
    "swap": (
        st.text(max_size=12).filter(lambda t: ":" not in t),
        ["route", str(ROOT / "examples" / "pools.json"), "--swap", "{v}", "--to", "D"],
    ),
    "prices": (
        st.text(max_size=12).filter(lambda t: "=" not in t),
        ["route", str(ROOT / "examples" / "pools.json"), "--arbitrage", "--prices", "{v}"],
    ),
}


@pytest.mark.parametrize("option", sorted(OPTION_VALUES))
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_hostile_option_values_are_one_line_errors(
    option: str, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    values, template = OPTION_VALUES[option]
    value = data.draw(values)
    where = tmp_path_factory.mktemp("runs")
    args = [a.format(v=value, dir=where) for a in template]
    result = runner.invoke(app, args)
    assert_one_line_error(result)
    assert not any(where.iterdir())  # nothing ran


def test_the_issues_three_inputs(tmp_path: Path) -> None:
    latin = tmp_path / "jury.csv"
    latin.write_bytes(JURY.read_bytes().replace(b"L1Juror1,", b"J\xe9r\xf4me,", 1))
    result = runner.invoke(app, ["judge", "credits", "--jury", str(latin)])
    assert_one_line_error(result)
    assert result.stderr.startswith(f"error: {latin}: not UTF-8 text")
    big = tmp_path / "big.toml"
    big.write_text(TOY.read_text().replace("seeds = 8", "seeds = 100000000000"))
    result = runner.invoke(app, ["run", str(big), "--out", str(tmp_path / "runs")])
    assert_one_line_error(result)
    assert "seeds: must be a count in [1, 1,000,000], got 100,000,000,000" in result.stderr
    result = runner.invoke(
        app, ["judge", "heldout", "--jury", str(JURY), "--by", "time", "--folds", "594"]
    )
    assert_one_line_error(result)
    assert "folds must be at most the number of samples, 593" in result.stderr


def test_an_unexpected_exception_is_one_line_and_debug_shows_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(path: object) -> object:
        raise RuntimeError("internal state\nspread over lines")

    monkeypatch.setattr(accord.lab.pools, "load_pool_file", boom)
    args = ["route", "my pools.json", "--swap", "A:1", "--to", "B"]
    result = runner.invoke(app, args)
    assert_one_line_error(result)
    assert result.stderr.strip() == (
        "error: RuntimeError: internal state spread over lines (in `accord route 'my pools.json'"
        " --swap A:1 --to B`; add --debug after accord for the traceback)"
    )
    result = runner.invoke(app, ["--debug", *args])
    assert isinstance(result.exception, RuntimeError)  # through, for its traceback
    monkeypatch.setenv("ACCORD_DEBUG", "1")
    assert isinstance(runner.invoke(app, args).exception, RuntimeError)


def test_usage_errors_are_one_line() -> None:
    for args, words in [
        (["nosuch"], "No such command 'nosuch'. (see `accord --help`)"),
        (["judge", "fit"], "Missing option '--jury'. (see `accord judge fit --help`)"),
        (["route"], "Missing argument 'pools'. (see `accord route --help`)"),
        (["demo", "--ordering", "fastest"], "Invalid value for '--ordering'"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        assert result.stderr.count("\n") == 1 and words in result.stderr, result.stderr


def test_version() -> None:
    for args in (["--version"], ["version"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0
    assert runner.invoke(app, ["--version"]).stdout == f"accord {__version__}\n"


@settings(max_examples=25, deadline=None)
@given(sentence=st.text(max_size=60))
def test_any_sentence_compiles_or_is_refused_in_one_line(sentence: str) -> None:
    result = runner.invoke(app, ["intent", "compile", "--", sentence])
    assert isinstance(result.exception, SystemExit) or result.exception is None
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(("error: ", "cannot compile: ")), lines
