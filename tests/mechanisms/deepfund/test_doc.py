"""docs/deepfund.md's example runs and prints what the page says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "deepfund.md"


def test_deepfund_doc_example(capsys: pytest.CaptureFixture[str]) -> None:
    text = DOC.read_text()
    code = re.findall(r"^```python\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)
    printed = re.findall(r"^```text\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)
    assert len(code) == 1 and len(printed) == 1
    exec(compile(code[0], str(DOC), "exec"), {"__name__": "deepfund_doc"})
    assert capsys.readouterr().out == printed[0]
