"""docs/routing.md's example must run as written and say what the page says it does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "routing.md"


def test_routing_doc_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"^```python\n(.*?)^```", DOC.read_text(), flags=re.DOTALL | re.MULTILINE)
    assert blocks, "docs/routing.md has no ```python block"
    namespace: dict[str, object] = {"__name__": "routing_doc"}
    exec(compile(blocks[0], str(DOC), "exec"), namespace)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "routed 203,280.32 USDC; best single pool 203,127.47"
    gap = float(lines[1].split()[-1])
    assert 0 <= gap <= 1e-8
    trades = lines[2:-1]
    assert [line.split()[0] for line in trades] == ["0", "1", "2", "3"]
    assert lines[-1].startswith("arbitrage profit 1,576.")
    swap = namespace["swap"]
    e18 = 10**18
    assert swap.amount("ETH") == -100 * e18  # type: ignore[attr-defined]
