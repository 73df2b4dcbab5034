"""docs/contracts/amm.md: its example runs as written and prints what the page says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "contracts" / "amm.md"


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


def test_amm_doc_example_prints_what_the_doc_says(capsys: pytest.CaptureFixture[str]) -> None:
    text = DOC.read_text()
    (code,) = blocks(text, "python")
    namespace: dict[str, object] = {"__name__": "amm_doc_example"}
    exec(compile(code, str(DOC), "exec"), namespace)
    printed = capsys.readouterr().out
    expected = text.split("It prints:", 1)[1]
    (shown,) = blocks(expected, "")[:1]
    assert printed == shown
    assert "swap: 987 True" in printed  # amount_out(1000, 100000, 100000)
