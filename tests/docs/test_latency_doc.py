"""docs/latency.md: the fcfs table's theory columns and the prize are the theory's
numbers (accord/mechanisms/latency.py, accord/games/latency_race.py)."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

from accord.games.latency_race import LOSE_GAS, WIN_GAS, best_backrun
from accord.mechanisms.cfmm.v2 import amount_out
from accord.mechanisms.latency import slow_share_two

DOC = Path(__file__).resolve().parents[2] / "docs" / "latency.md"
UNIT = 10**15


def prize() -> int:
    x = 10**21 - amount_out(5 * 10**19, 10**21, 10**21)
    y = 10**21 + 5 * 10**19
    a, out = best_backrun((x, y), 30, Fraction(1))
    return int(out - a)


def test_the_prize_and_gases_are_the_games() -> None:
    text = DOC.read_text()
    assert f"{prize():,}" in text
    assert f"{WIN_GAS:,} gas to win, {LOSE_GAS:,} to lose" in text


def test_the_fcfs_tables_theory_columns_are_the_theorys() -> None:
    rows = re.findall(
        r"^\| (\d+) \| ([\d.]+) \| [^|]+ \| [^|]+ \| [^|]+ \| ([\d,.]+) \|", DOC.read_text(), re.M
    )
    assert [int(r[0]) for r in rows] == [0, 5, 10, 20, 40]
    for gap, share, premium in rows:
        p = slow_share_two(int(gap), 20)
        assert float(share) == round(float(p), 4)
        assert float(premium.replace(",", "")) == round(float(prize() * (1 - p)) / UNIT, 2)
