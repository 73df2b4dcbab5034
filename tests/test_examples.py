"""The examples run and print what the exact math says."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from accord.mechanisms.cfmm import amount_out

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_canonical_intents_example(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / "canonical_intents.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "ranking: PrudentBot 13, FairBot 11, CooperateBot 9, DefectBot 9, TrollBot 7" in out
    a, d = 1_000_000_000, 1_000_000
    bob_out = amount_out(10_000, d, a)
    alice = amount_out(500_000, a - bob_out, d + 10_000)
    assert (
        f"intent 1: alice got {alice} D after bob's swap (alone: {amount_out(500_000, a, d)})"
        in out
    )
    size = 50_000_000
    x_alone = amount_out(size, a, d)
    y_after = amount_out(size, a + size, d - x_alone)
    loss = x_alone - amount_out(size, a // 2, d // 2)
    surplus = amount_out(size, a, d) - y_after
    pay = loss + (surplus - loss) // 2
    x_got = amount_out(size, a // 2, d // 2) + pay
    y_got = amount_out(size, a, d) - pay
    assert f"intent 2: xavier {x_got} D (uncoordinated {x_alone}), yana {y_got} D" in out
    back = amount_out(amount_out(10_000_000, a, d), d, 1_100 * d)
    assert f"intent 3: flash loan group settled; borrower kept {back - 10_000_000 - 9_000} A" in out


def test_llm_live_names_its_recorders_and_refuses_an_unknown_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``make llm-live``'s script: the DeFi and fishery recorders are listed; an unknown
    name is refused before any model is started; each recorder's command fills in its
    fresh recording and rows files."""
    live = runpy.run_path(str(EXAMPLES / "llm" / "live.py"))
    assert set(live["RECORDERS"]) == {"llm-defi", "fishery"}
    assert live["main"](["nope"]) == 1
    assert "no recorder for nope" in capsys.readouterr().out
    filled = [a.format(fresh="F", rows="R") for a in live["RECORDERS"]["fishery"]]
    assert filled[filled.index("--cache") + 1] == "F" and filled[-1] == "R"
    assert filled[filled.index("--mode") + 1] == "record"


def test_congestion_poa_example_tables_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    """The figure script's rows: the CFMM Pigou's η sweep meets its closed form."""
    import json

    from accord.mechanisms.congestion import cfmm_pigou_closed_form

    module = runpy.run_path(str(EXAMPLES / "congestion_poa.py"))
    data = module["main"](["--no-figure", "--points", "3", "--json"])
    out = capsys.readouterr().out
    assert "| 0.00 | 1.207105 | 1.207107 |" in out
    rows = json.loads(out.strip().splitlines()[-1])
    assert set(rows) == set(data)
    for r in rows["cfmm_pigou_eta"]:
        poa = cfmm_pigou_closed_form(eta=r["eta"]).poa
        assert r["poa_low"] <= poa * (1 + 1e-12) and poa <= r["poa_high"] * (1 + 1e-12)
    pigou_at_one = next(r for r in rows["pigou_demand"] if r["demand"] == 1.0)
    assert pigou_at_one["poa"] == pytest.approx(4 / 3)
