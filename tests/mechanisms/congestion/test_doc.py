"""docs/congestion.md's example runs and says what it prints."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "congestion.md"


def test_the_doc_example_runs_and_its_numbers_hold() -> None:
    block = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert block is not None
    namespace: dict[str, object] = {}
    exec(compile(block.group(1), str(DOC), "exec"), namespace)
    result = namespace["result"]
    low, high = result.poa_bounds  # type: ignore[attr-defined]
    assert low <= (1 + math.sqrt(2)) / 2 <= high
    assert result.equilibrium.edge_flow.tolist() == pytest.approx([1.0, 0.0])  # type: ignore[attr-defined]
    rows = namespace["rows"]
    assert [round(r["poa"], 4) for r in rows] == [1.2071, 1.1321, 1.0755]  # type: ignore[attr-defined]
