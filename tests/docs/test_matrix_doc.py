"""docs/social-dilemmas.md's "Matrix dilemmas": its env example runs and prints what the
text says, and its threshold table is the closed forms'."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("pettingzoo")

DOC = Path(__file__).resolve().parents[2] / "docs" / "social-dilemmas.md"


def _section(title: str) -> str:
    text = DOC.read_text()
    part = text[text.index(f"## {title}") :]
    return part[: part.index("\n## ", 1)]


def test_the_env_example_prints_what_the_doc_says(capsys: pytest.CaptureFixture[str]) -> None:
    part = _section("Matrix dilemmas")
    (block,) = re.findall(r"^```python\n(.*?)^```", part, flags=re.DOTALL | re.MULTILINE)
    exec(compile(block, str(DOC), "exec"), {})
    (printed,) = re.findall(r"^prints `(.*?)`\.$", part, flags=re.MULTILINE)
    assert capsys.readouterr().out.strip() == printed


def test_the_threshold_table_is_the_closed_forms() -> None:
    from fractions import Fraction

    from accord.mechanisms.dilemmas import (
        chicken,
        prisoners_dilemma,
        public_goods,
        stag_hunt,
        theta_dominant,
        theta_equilibrium,
    )

    part = _section("Matrix dilemmas")
    games = {
        "prisoners_dilemma": prisoners_dilemma(),
        "stag_hunt": stag_hunt(),
        "chicken": chicken(),
        "public_goods (n = 4, r = 8/5)": public_goods(4, Fraction(8, 5)),
    }
    for name, game in games.items():
        (row,) = [ln for ln in part.splitlines() if ln.startswith(f"| {name} |") and "[" in ln]
        eq, dom = (c.strip().replace("−", "-") for c in row.split("|")[2:4])
        assert Fraction(eq) == theta_equilibrium(game) and Fraction(dom) == theta_dominant(game)
