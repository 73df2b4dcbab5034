"""docs/negotiation.md's "On the device" example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "negotiation.md"


def test_the_delegate_example_runs() -> None:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## On the device")
    end = text.find("\n## ", start + 1)
    part = text[start : end if end >= 0 else len(text)]
    blocks = re.findall(r"^```python\n(.*?)^```", part, flags=re.DOTALL | re.MULTILINE)
    assert len(blocks) == 1
    exec(compile(blocks[0], f"{DOC}:on-the-device", "exec"), {"__name__": "negotiation_device_doc"})
