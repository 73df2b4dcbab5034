"""docs/negotiation.md's "Bilateral trade" example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "negotiation.md"


def test_the_bilateral_trade_example_runs() -> None:
    text = DOC.read_text(encoding="utf-8")
    part = text[text.index("## Bilateral trade") : text.index("## Bargaining solutions")]
    blocks = re.findall(r"^```python\n(.*?)^```", part, flags=re.DOTALL | re.MULTILINE)
    assert len(blocks) == 1
    exec(compile(blocks[0], f"{DOC}:bilateral", "exec"), {"__name__": "bilateral_doc"})
