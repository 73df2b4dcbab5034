"""docs/batch.md's example must run as written and print what the page says it prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "batch.md"


def test_batch_doc_example_prints_what_the_page_says(capsys: pytest.CaptureFixture[str]) -> None:
    text = DOC.read_text()
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)
    assert blocks, "docs/batch.md has no ```python block"
    exec(compile(blocks[0], str(DOC), "exec"), {"__name__": "batch_doc"})
    printed = capsys.readouterr().out
    shown = re.search(r"It prints:\n\n```\n(.*?)```", text, flags=re.DOTALL)
    assert shown is not None, "docs/batch.md does not show the example's output"
    assert printed == shown.group(1)
