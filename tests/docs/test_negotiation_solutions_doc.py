"""docs/negotiation.md's "Bargaining solutions" and "Deal or No Deal" examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "negotiation.md"


def _blocks() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    part = text[text.index("## Bargaining solutions") : text.index("## On the device")]
    return re.findall(r"^```python\n(.*?)^```", part, flags=re.DOTALL | re.MULTILINE)


def test_the_examples_run() -> None:
    blocks = _blocks()
    assert len(blocks) == 3
    for k, block in enumerate(blocks):
        if "envs" in block:
            pytest.importorskip("pettingzoo")
        exec(compile(block, f"{DOC}:block{k}", "exec"), {"__name__": f"negotiation_doc_{k}"})
