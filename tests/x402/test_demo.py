"""examples/x402_demo.py: discover through ERC-8004, pay per call through x402, rate."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "x402_demo.py"


def test_the_demo_discovers_pays_and_rates(capsys: pytest.CaptureFixture[str]) -> None:
    results = runpy.run_path(str(EXAMPLE), run_name="x402_demo")["main"]()
    assert results["service"] == (0, "intent-compiler")
    assert [(who, code) for who, _, code, _ in results["calls"]] == [
        ("ann", 200),
        ("ann", 200),
        ("ben", 200),
    ]
    assert results["calls"][0][3] == "me commits (id me/intent-7c2e1158):"
    assert results["ann_spent"] == 500 and results["ben_spent"] == 250
    assert results["tokens"] == {"ann": 1_500, "ben": 1_750, "operator": 750}
    assert results["summary"] == (2, 85, 0)  # (90 + 80) / 2
    out = capsys.readouterr().out
    assert "service intent-compiler (agent 0) earned 750" in out
