"""`accord judge`: credits, score, fit and heldout, with --json and rich tables, and the
errors that name the row."""

from __future__ import annotations

import json
import math
import runpy
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accord.cli import app

runner = CliRunner()
EX = Path(__file__).resolve().parents[2] / "examples" / "judgement"
REAL = Path("/work/shared/data/deepfunding/jury_pairs_l1.csv")
LISTS = ("careful", "sloppy", "equal", "contrarian")
TRIANGLE = "juror,repo_a,repo_b,parent,choice,multiplier\nj,a,b,p,2,2\nj,b,c,p,2,3\nj,c,a,p,1,6\n"


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["judge", *args])
    return result.exit_code, result.output


def last_json(output: str) -> Any:
    return json.loads(output.strip().splitlines()[-1])


def subs(*names: str) -> list[str]:
    out = []
    for n in names:
        out += ["--submission", f"{n}={EX / (n + '.csv')}"]
    return out


def test_credits_json_recovers_exact_ratios(tmp_path: Path) -> None:
    jury = tmp_path / "j.csv"
    jury.write_text(TRIANGLE)
    code, out = run("credits", "--jury", str(jury), "--json")
    assert code == 0
    got = last_json(out)
    assert got["credits"] == pytest.approx({"a": 1 / 9, "b": 2 / 9, "c": 6 / 9}, rel=1e-12)
    assert got["cost"] == pytest.approx(0.0, abs=1e-24)


def test_credits_on_the_real_jury() -> None:
    code, out = run("credits", "--jury", str(REAL), "--json")
    got = last_json(out)
    assert code == 0 and len(got["credits"]) == 45
    assert got["cost"] == pytest.approx(2851.3699953187715, rel=1e-9)
    assert sum(got["credits"].values()) == pytest.approx(1.0, rel=1e-12)
    code, out = run("credits", "--jury", str(REAL), "--ridge", "1.0", "--json")
    assert last_json(out)["cost"] > 2851.3699953187715  # ridge trades fit for shrinkage
    code, out = run("credits", "--jury", str(REAL))
    assert code == 0 and "jury-only credits (593 samples)" in out and "ethereum/eips" in out


def test_fit_json_on_the_shipped_examples() -> None:
    code, out = run("fit", "--jury", str(EX / "jury_pairs_l1.csv"), *subs(*LISTS), "--json")
    assert code == 0
    got = last_json(out)
    w = got["weights"]
    assert w == pytest.approx(
        {
            "careful": 0.8412757105346662,
            "sloppy": 0.03845302014661189,
            "equal": 0.12027126931872181,
            "contrarian": 0.0,
        },
        abs=1e-9,
    )
    assert got["cost"]["careful"] == pytest.approx(3572.251978396332, rel=1e-9)
    assert got["combined_cost"] == pytest.approx(3544.2271636319724, rel=1e-9)
    assert got["combined_cost"] < min(got["cost"].values())
    code, out = run(
        "fit",
        "--jury",
        str(REAL),
        *subs(*LISTS),
        "--pool",
        "1000000",
        "--pooling",
        "linear",
        "--json",
    )
    got = last_json(out)
    assert sum(got["rewards"].values()) == 1_000_000
    assert got["rewards"]["contrarian"] == 0
    assert got["combined_cost"] == pytest.approx(3552.2599870930844, rel=1e-7)


def test_fit_and_score_tables() -> None:
    code, out = run("fit", "--jury", str(REAL), *subs(*LISTS), "--pool", "1000000")
    assert code == 0 and "geometric pooling fit (593 samples)" in out
    assert "841276" in out and "combined cost 3544.2272" in out
    code, out = run("score", "--jury", str(REAL), *subs("careful", "equal"), "--json")
    got = last_json(out)
    assert got["cost"] == pytest.approx(
        {"careful": 3572.251978396332, "equal": 4817.843964955863}, rel=1e-9
    )
    # equal shares predict c = 0: the cost is Σ log(multiplier)²
    rows = REAL.read_text().splitlines()[1:]
    want = sum(math.log(float(r.split(",")[-1])) ** 2 for r in rows)
    assert got["cost"]["equal"] == pytest.approx(want, rel=1e-9)
    code, out = run("score", "--jury", str(REAL), *subs("careful"))
    assert code == 0 and "cost against 593 jury samples" in " ".join(out.split())


def test_heldout_json_pinned() -> None:
    code, out = run("heldout", "--jury", str(REAL), "--by", "juror", "--json")
    got = last_json(out)
    assert code == 0 and got["by"] == "juror" and len(got["splits"]) == 37
    assert got["credits_cost"] == pytest.approx(5.9902137588919375, rel=1e-9)
    assert got["equal_cost"] == pytest.approx(8.124526079183598, rel=1e-9)
    code, out = run("heldout", "--jury", str(REAL), "--by", "time", "--json")
    assert last_json(out)["credits_cost"] == pytest.approx(6.932635750957151, rel=1e-9)
    code, out = run("heldout", "--jury", str(REAL), "--by", "time")
    assert code == 0 and "2025-09-10..2025-09-27" in out


@pytest.mark.parametrize(
    ("jury_text", "sub_text", "message"),
    [
        (TRIANGLE, "repo,parent,weight\na,p,1\nb,p,2\n", "has no weight for repo 'c'"),
        (TRIANGLE.replace("j,b,c,p,2,3", "j,b,c,p,2,0.5"), None, "line 3: multiplier must be >= 1"),
        (TRIANGLE, "repo,parent,weight\na,p,1\nb,p,0\nc,p,1\n", "line 3: weight must be > 0"),
        (TRIANGLE, "repo,parent\na,p\n", "line 1: missing column(s) weight"),
        (TRIANGLE.replace("j,b,c,p,2,3", "j,b,c,p,3,3"), None, "line 3: choice must be 1"),
    ],
)
def test_bad_input_is_named(
    tmp_path: Path, jury_text: str, sub_text: str | None, message: str
) -> None:
    jury, sub = tmp_path / "j.csv", tmp_path / "s.csv"
    jury.write_text(jury_text)
    sub.write_text(sub_text or "repo,parent,weight\na,p,1\nb,p,2\nc,p,6\n")
    for command in ("fit", "score"):
        code, out = run(command, "--jury", str(jury), "--submission", f"s={sub}", "--json")
        assert code == 1 and message in " ".join(out.split()), out


def test_bad_arguments(tmp_path: Path) -> None:
    code, out = run("fit", "--jury", str(REAL), "--submission", "nofile")
    assert code == 1 and "--submission must be NAME=FILE.csv, got 'nofile'" in out
    code, out = run("fit", "--jury", str(tmp_path / "none.csv"), *subs("equal"))
    assert code == 1 and "none.csv: no such file" in out
    code, out = run("fit", "--jury", str(REAL), *subs("equal"), *subs("equal"))
    assert code == 1 and "submission name 'equal' is given twice" in out
    code, out = run("fit", "--jury", str(REAL), *subs("equal"), "--pool", "-5")
    assert code == 1 and "--pool must be a non-negative int" in out


def test_shipped_examples_are_what_the_script_makes(capsys: pytest.CaptureFixture[str]) -> None:
    if REAL.exists():
        assert (EX / "jury_pairs_l1.csv").read_bytes() == REAL.read_bytes()
    module = runpy.run_path(str(EX / "make_submissions.py"), run_name="example")
    assert module["main"](["--check"]) == 0
    assert capsys.readouterr().out.strip() == "examples are up to date"


def test_readme_judgement_example_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = EX.parents[1]
    text = (root / "README.md").read_text()
    section = text.split("## Distilled human judgement", 1)[1].split("\n## ", 1)[0]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(root)
    exec(compile(block, "README.md", "exec"), {"__name__": "readme_judgement"})
    assert capsys.readouterr().out.splitlines() == [
        "jury-only credits cost 2851.4",
        "{'careful': 0.8413, 'sloppy': 0.0385, 'equal': 0.1203, 'contrarian': 0.0} 3544.2",
        "{'careful': 841276, 'sloppy': 38453, 'equal': 120271, 'contrarian': 0}",
    ]
