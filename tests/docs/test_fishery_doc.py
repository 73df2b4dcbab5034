"""docs/social-dilemmas.md's Fishery section: its API example runs and does what it says."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[2] / "docs" / "social-dilemmas.md"


def test_fishery_api_example_runs() -> None:
    text = DOC.read_text()
    part = text[text.index("## Fishery") :]
    part = part[: part.index("\n## ", 1)] if "\n## " in part[1:] else part
    (block,) = re.findall(r"^```python\n(.*?)^```", part, flags=re.DOTALL | re.MULTILINE)
    scope: dict[str, Any] = {}
    exec(compile(block, str(DOC), "exec"), scope)
    s = scope["s"]
    ((first, terms),) = s.agreements  # agreed in round 1; ended with the season
    assert first == 1 and (terms.quota, terms.penalty) == (10, 2) and not s.in_force
    assert s.over and not s.collapsed and len(s.history) == 12
    assert s.payoffs() == (120,) * 5  # everyone took the threshold, 10 a round
