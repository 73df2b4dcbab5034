"""docs/commitment-races.md: its contract example prints what the page says, the Coase
table is the theory's (and the sandbox's) numbers, and the stationary first prices it
quotes are the closed form's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accord.mechanisms import coase as C

DOC = Path(__file__).resolve().parents[2] / "docs" / "commitment-races.md"


def _coase_rows() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    part = text[text.index("| T | δ | first price") :]
    lines = [line for line in part.splitlines() if line.startswith("|")][2:]
    return [[c.strip().replace(",", "") for c in line.strip("|").split("|")] for line in lines]


def test_the_coase_table_is_the_theorys() -> None:
    rows = _coase_rows()
    assert [int(r[0]) for r in rows] == [1, 2, 5, 10, 20]
    for r in rows:
        periods = int(r[0])
        delta = C.per_period(0.1, periods)
        co = C.coefficients(periods, delta)
        path = C.uncommitted_path(periods, delta, 1_000_000)
        out = C.realise(C.buyer_values(100, 1_000_000), path, delta, committed=False)
        assert r[1] == f"{delta:.4f}"
        assert int(r[2]) == path.prices[0] and int(r[5]) == path.prices[-1]
        assert int(r[3]) == round(co.a[-1] * 1e6)
        assert int(r[4]) == round(C.stationary(delta).first_price * 1e6)
        assert r[6] == f"{out.present_value / 25e6:.4f}" and r[7] == f"{co.c[-1] / 0.25:.4f}"
        assert int(r[8]) == sum(len(s) for s in out.sales)


@pytest.mark.parametrize("delta, quoted", [(0.9, 0.240), (0.99, 0.091), (0.999, 0.031)])
def test_the_quoted_stationary_prices(delta: float, quoted: float) -> None:
    assert f"{quoted:.3f} vmax" in DOC.read_text(encoding="utf-8")
    assert C.stationary(delta).first_price == pytest.approx(quoted, abs=5e-4)


def test_the_extortion_figures_are_the_theorys() -> None:
    from accord.mechanisms.races import extortion

    text = DOC.read_text(encoding="utf-8")
    gain = extortion(800_000, 300_000, committed=True, pledged=False).extorter_gain
    assert re.search(rf"\| none \| any \| {gain:,} \| −{gain:,} \| 0 \|", text)
    assert extortion(800_000, 300_000, committed=True, pledged=True).extorter_gain == 0


def test_the_contract_example_prints_what_the_page_says(capsys: pytest.CaptureFixture[str]) -> None:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(
        r"^```python\n(.*?)^```\n.*?^```text\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE
    )
    assert found
    exec(compile(found.group(1), str(DOC), "exec"), {"__name__": "docs_races"})
    assert capsys.readouterr().out == found.group(2)
